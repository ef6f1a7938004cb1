"""The admin flow: connect to Xero, choose the organisation, save, diagnose, remove."""
