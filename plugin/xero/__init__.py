"""Everything that talks to Xero: typed models, one parse step, the OAuth client and the API client."""
