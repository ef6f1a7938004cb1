"""A small demo CRM that embeds the panel cross-origin, as a real CRM does."""
