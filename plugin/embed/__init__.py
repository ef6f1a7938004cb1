"""Embedding in the CRM: the signed context, the panel session token, and frame headers."""
