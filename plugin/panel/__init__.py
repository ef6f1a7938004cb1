"""The invoice panel a rep sees on a contact, account or deal page."""
