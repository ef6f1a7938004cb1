"""The generic host: any CRM that signs the panel's own context JWT (README, "How the CRM embeds the panel"), and
the demo CRM. It is verified in the embed layer (plugin.embed.context.verify_context, reached through
`/panel?context=` and `/admin?context=`), since the panel's and admin's first-load views accept it directly.

Its accounts keep their bare ids (so stored rows need no migration) and may not contain ':', which marks every
other host's namespaced accounts (`pipedrive:<companyId>`): no generic context can name another host's account.
"""

from __future__ import annotations

from plugin.embed.context import NAMESPACE_SEPARATOR

HOST = "generic"


def is_generic_account(account_id: str) -> bool:
    return NAMESPACE_SEPARATOR not in account_id
