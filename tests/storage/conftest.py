from tests.storage.databases import (  # noqa: F401  (fixtures)
    database_url,
    postgres_schema_url,
    postgres_url,
    storage_app,
    store,
)
