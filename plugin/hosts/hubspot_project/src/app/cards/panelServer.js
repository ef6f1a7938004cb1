// Where the Xero invoice panel runs: `xero-panel package hubspot --public-url URL` writes it here.
export const PANEL_URL = "__XERO_PANEL_PUBLIC_URL__";
