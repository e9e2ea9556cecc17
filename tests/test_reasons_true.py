"""A reason says only what is true of the proposal it is given for."""
from __future__ import annotations

from conftest import proposal

from advisor.report.render import render


def _text(advisor, **fields) -> str:
    return render(advisor.check(proposal(**fields)), "text")


def test_a_remote_colleague_without_a_reliable_connection_joins_by_phone_not_by_video(advisor) -> None:
    audience = [{"role": "sales_manager"}, {"role": "sales_rep", "count": 6}, {"role": "sales_rep", "remote": True}]
    shaky = _text(advisor, audience=audience, setting={"reliable_internet": False})
    assert "the one elsewhere joins by phone, their connection not being reliable" in shaky
    assert "by a video link" not in shaky
    steady = _text(advisor, audience=audience, setting={"reliable_internet": True})
    assert "the one elsewhere joins by a video link" in steady


def test_a_personal_matter_with_someone_remote_is_discussed_by_video_not_face_to_face(advisor) -> None:
    remote = [{"role": "sales_manager"}, {"role": "sales_rep", "remote": True}]
    text = _text(advisor, purposes=["coaching"], audience=remote,
                 setting={"sensitive": True, "about_one_person": True})
    assert "told to them by video, as one of the two is remote" in text and "face to face" not in text
    together = _text(advisor, purposes=["coaching"], audience=[{"role": "sales_manager"}, {"role": "sales_rep"}],
                     setting={"sensitive": True, "about_one_person": True})
    assert "told to them face to face" in together


def test_several_updates_are_named_as_several(advisor) -> None:
    one = _text(advisor, purposes=["status_update"])
    assert "Nothing is to be decided: a status update can be read in five minutes." in one
    two = _text(advisor, purposes=["status_update", "campaign_update"])
    assert "Nothing is to be decided: these updates (status update, campaign update) can be read" in two
