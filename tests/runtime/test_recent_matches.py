"""plugin.runtime.recent_matches: a bounded, forgettable hint of which contact a record was last matched to."""

from plugin.runtime.recent_matches import RecentMatches


def test_a_record_remembers_its_latest_contact_until_forgotten():
    hints = RecentMatches()
    hints.put("match:acct:t1:contact:c-1", "contact-a")
    hints.put("match:acct:t1:contact:c-1", "contact-b")
    assert hints.get("match:acct:t1:contact:c-1") == "contact-b"
    hints.pop("match:acct:t1:contact:c-1")
    assert hints.get("match:acct:t1:contact:c-1") is None


def test_the_least_recently_used_record_goes_first_once_full():
    hints = RecentMatches(max_records=2)
    hints.put("first", "a")
    hints.put("second", "b")
    hints.get("first")
    hints.put("third", "c")
    assert (hints.get("first"), hints.get("second"), hints.get("third"), len(hints)) == ("a", None, "c", 2)
