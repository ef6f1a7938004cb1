"""One error hierarchy for everything Xero can do wrong. Messages are plain words for the panel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from plugin.domain.text import N_, Nn_


class XeroError(Exception):
    """Base class. `user_message` is safe to show a rep; str(error) is for logs. `correlation_id`: the
    Xero-Correlation-Id of the answer that caused it (None when no answer did), for Xero's support."""

    user_message = N_("Something went wrong while talking to Xero.")
    correlation_id: str | None = None


class XeroUnavailable(XeroError):
    """Xero did not answer usefully: time-out, connection error, 5xx after retries, malformed body."""

    user_message = N_("Xero isn't answering right now. Try again in a minute.")


class RateLimited(XeroError):
    """Xero answered 429. `retry_after` is in seconds; `problem` is X-Rate-Limit-Problem."""

    def __init__(self, retry_after: int, problem: str = "", message: str = "") -> None:
        self.retry_after = max(0, int(retry_after))
        self.problem = (problem or "").lower()
        super().__init__(message or f"rate limited ({self.problem or 'unknown'}), retry after {self.retry_after}s")

    @property
    def user_message(self) -> str:  # type: ignore[override]
        wait = plain_duration(self.retry_after)
        if self.problem == "day":
            return N_("This organisation has used up today's Xero allowance. Try again in %(wait)s.", wait=wait)
        return N_("Xero is busy. Try again in %(wait)s.", wait=wait)


def plain_duration(seconds: int) -> str:
    """A wait as a rep would say it: seconds under two minutes, then minutes, then hours (a day limit's wait)."""
    if seconds < 120:
        return Nn_("%(num)d second", "%(num)d seconds", seconds)
    if seconds < 2 * 3600:
        return Nn_("%(num)d minute", "%(num)d minutes", -(-seconds // 60))
    return Nn_("about %(num)d hour", "about %(num)d hours", round(seconds / 3600))


class TokenExpired(XeroError):
    """401 TokenExpired: the access token must be refreshed."""

    user_message = N_("The Xero session expired; refreshing.")


class ConnectionRevoked(XeroError):
    """The connection no longer works: 403 AuthenticationUnsuccessful, invalid_grant, revoked."""

    user_message = N_("The Xero connection needs to be reconnected by an admin.")


class InvalidGrant(ConnectionRevoked):
    """The token endpoint said invalid_grant: the code or refresh token is wrong, used or expired."""


class MissingScope(ConnectionRevoked):
    """401 AuthorizationUnsuccessful: the token lacks a scope this call needs."""

    user_message = N_("The Xero connection lacks a permission this panel needs; an admin must reconnect.")


class NotFound(XeroError):
    user_message = N_("Xero could not find that record.")


class QueryRejected(XeroError):
    """400 from Xero: a where/order it could not parse, or a validation error."""


class BadXeroData(XeroError):
    """A field in Xero's answer could not be read. Names the field."""

    user_message = N_("Xero sent data this panel could not read.")

    def __init__(self, field: str, value: object = None, reason: str = "") -> None:
        self.field = field
        self.value = value
        self.reason = reason
        detail = f": {reason}" if reason else ""
        super().__init__(f"bad value for {field}: {value!r}{detail}")


class OAuthError(XeroError):
    """The identity server refused (invalid_client, invalid_request, ...)."""

    def __init__(self, error: str, description: str = "") -> None:
        self.error = error
        self.description = description
        super().__init__(f"{error}: {description}" if description else error)


CORRELATION_HEADER = "Xero-Correlation-Id"
AnyXeroError = TypeVar("AnyXeroError", bound=XeroError)


def with_correlation_id(error: AnyXeroError, headers: Mapping[str, str]) -> AnyXeroError:
    """`error`, carrying the Xero-Correlation-Id of the answer it came from (when that answer had one)."""
    correlation_id = headers.get(CORRELATION_HEADER)
    if correlation_id and not error.correlation_id:
        error.correlation_id = str(correlation_id)[:100]
    return error


def correlation_note(error: BaseException) -> str:
    """Text to append to a log line about `error`: the Xero-Correlation-Id in brackets, or "" without one."""
    correlation_id = getattr(error, "correlation_id", None)
    return f" (Xero-Correlation-Id {correlation_id})" if correlation_id else ""


def log_extra(error: BaseException) -> dict[str, str]:
    """Fields for a log line about `error` (`extra=`): the correlation id, which JSON logs carry as its own key."""
    correlation_id = getattr(error, "correlation_id", None)
    return {"xero_correlation_id": correlation_id} if correlation_id else {}
