"""CRM hosts: each module verifies its CRM's own signed request, maps it to the panel's one internal context
(plugin.embed.context.EmbedContext) and hands over to the panel and admin views through plugin.embed.

- generic: our own signed context (`/panel?context=`, `/admin?context=`), for any CRM that signs our JWT.
- pipedrive: Pipedrive's custom UI panel and app settings, Marketplace OAuth, uninstall.
- salesforce: Salesforce Canvas's signed request (POST), on Lightning record pages through an Aura wrapper.
- freshworks: the context our Freshworks CRM app's serverless function signs (issuer `freshworks:<domain>`).
"""
