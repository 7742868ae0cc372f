"""Console accounts (gridsvc.users): Argon2id hashes, the lock after wrong passwords,
sessions that end, and rights that are exactly a token's."""

from __future__ import annotations

import pytest

from gridsvc import users
from gridsvc.errors import Conflict, InvalidInput, Unauthenticated
from gridsvc.service import Gridsvc

PASSWORD = "correct horse battery"
TTL = 3600.0


def make(svc: Gridsvc, name: str = "wang", **kw: str) -> int:
    args = {"role": "analyst", **kw}
    return users.create_user(svc.db, username=name, password=PASSWORD, **args)  # type: ignore[arg-type]


def test_only_an_argon2id_hash_is_stored(svc: Gridsvc) -> None:
    make(svc)
    (stored,) = svc.db.cursor_fetchall(
        "SELECT password_hash FROM app_user WHERE username = 'wang'"
    )[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    dump = svc.db.cursor_fetchall("SELECT row_to_json(u)::text FROM app_user u")
    assert all(PASSWORD not in row[0] for row in dump)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"username": "x"}, "username"),
        ({"username": "-leading"}, "username"),
        ({"username": "有中文"}, "username"),
        ({"password": "short"}, "password"),
        ({"role": "mayor"}, "role"),
        ({"role": "grid_worker"}, "scope"),
        ({"role": "grid_worker", "scope_code": "320102"}, "scope"),  # a district: too wide
        ({"role": "analyst", "scope_code": "320102"}, "scope"),
        ({"role": "department"}, "department"),
        ({"role": "department", "department_code": "no-such-dept"}, "department"),
    ],
)
def test_a_bad_account_names_its_field(svc: Gridsvc, kw: dict[str, str], field: str) -> None:
    args = {"username": "li", "password": PASSWORD, "role": "analyst", **kw}
    with pytest.raises(InvalidInput) as caught:
        users.create_user(svc.db, **args)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert svc.db.cursor_fetchall("SELECT count(*) FROM app_user WHERE username = 'li'")[0][0] == 0


def test_a_taken_name_is_a_conflict(svc: Gridsvc) -> None:
    make(svc)
    with pytest.raises(Conflict):
        make(svc)


def test_sign_in_gives_a_new_session_each_time_with_the_users_rights(svc: Gridsvc) -> None:
    make(svc, "zhao", role="dispatcher", scope_code="320102002")
    first = users.sign_in(svc.db, "zhao", PASSWORD, ttl_s=TTL)
    second = users.sign_in(svc.db, "zhao", PASSWORD, ttl_s=TTL)
    assert first.session_id and second.session_id and first.session_id != second.session_id
    assert first.csrf_token != second.csrf_token
    found = users.session(svc.db, first.session_id)
    assert found is not None
    p = found.principal
    assert (p.name, p.role, p.scope_code, p.citywide) == ("zhao", "dispatcher", "320102002", False)
    assert p.in_scope({"grid": {"street_code": "320102002"}})
    assert not p.in_scope({"grid": {"street_code": "320102003"}})
    stored = svc.db.cursor_fetchall("SELECT id_sha256 FROM user_session")
    assert all(first.session_id not in row[0] for row in stored)  # only the hash is kept


def test_unknown_name_wrong_password_and_disabled_get_one_answer(svc: Gridsvc) -> None:
    make(svc)
    make(svc, "gone")
    users.disable_user(svc.db, "gone")
    answers = []
    for name, password in (("nobody", PASSWORD), ("wang", "wrong password!"), ("gone", PASSWORD)):
        with pytest.raises(Unauthenticated) as caught:
            users.sign_in(svc.db, name, password, ttl_s=TTL)
        answers.append(caught.value.message)
    assert len(set(answers)) == 1


def test_five_wrong_passwords_lock_the_account_then_it_opens_again(svc: Gridsvc) -> None:
    make(svc)
    for _ in range(4):
        with pytest.raises(Unauthenticated) as caught:
            users.sign_in(svc.db, "wang", "wrong password!", ttl_s=TTL, max_failures=5)
        assert "locked_until" not in caught.value.details
    with pytest.raises(Unauthenticated):
        users.sign_in(svc.db, "wang", "wrong password!", ttl_s=TTL, max_failures=5)
    # locked: even the right password is refused, and it says until when
    with pytest.raises(Unauthenticated) as caught:
        users.sign_in(svc.db, "wang", PASSWORD, ttl_s=TTL, max_failures=5)
    assert "locked_until" in caught.value.details
    svc.db.cursor_fetchall("UPDATE app_user SET locked_until = now() - interval '1 second'")
    assert users.sign_in(svc.db, "wang", PASSWORD, ttl_s=TTL).session_id
    (failures,) = svc.db.cursor_fetchall("SELECT failed_logins FROM app_user")[0]
    assert failures == 0


def test_a_right_password_resets_the_count_of_wrong_ones(svc: Gridsvc) -> None:
    make(svc)
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            users.sign_in(svc.db, "wang", "wrong password!", ttl_s=TTL, max_failures=5)
    users.sign_in(svc.db, "wang", PASSWORD, ttl_s=TTL, max_failures=5)
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            users.sign_in(svc.db, "wang", "wrong password!", ttl_s=TTL, max_failures=5)
    assert users.sign_in(svc.db, "wang", PASSWORD, ttl_s=TTL, max_failures=5).session_id


def test_sessions_end_by_expiry_sign_out_disabling_and_a_new_password(svc: Gridsvc) -> None:
    make(svc)
    expired = users.sign_in(svc.db, "wang", PASSWORD, ttl_s=TTL)
    svc.db.cursor_fetchall(
        "UPDATE user_session SET created_at = now() - interval '2 hours', "
        "expires_at = now() - interval '1 second' WHERE id_sha256 = %s",
        (users.hash_session_id(expired.session_id),),
    )
    assert users.session(svc.db, expired.session_id) is None
    out = users.sign_in(svc.db, "wang", PASSWORD, ttl_s=TTL)
    users.sign_out(svc.db, out.session_id)
    assert users.session(svc.db, out.session_id) is None
    live = users.sign_in(svc.db, "wang", PASSWORD, ttl_s=TTL)
    users.set_password(svc.db, "wang", "another long password")
    assert users.session(svc.db, live.session_id) is None
    again = users.sign_in(svc.db, "wang", "another long password", ttl_s=TTL)
    users.disable_user(svc.db, "wang")
    assert users.session(svc.db, again.session_id) is None
    assert users.session(svc.db, "") is None and users.session(svc.db, "x" * 500) is None


def test_csrf_tokens_match_only_their_session(svc: Gridsvc) -> None:
    make(svc)
    one = users.sign_in(svc.db, "wang", PASSWORD, ttl_s=TTL)
    two = users.sign_in(svc.db, "wang", PASSWORD, ttl_s=TTL)
    assert users.csrf_matches(one, one.csrf_token)
    assert not users.csrf_matches(one, two.csrf_token)
    assert not users.csrf_matches(one, None) and not users.csrf_matches(one, "")


def test_the_first_admin_is_made_once(svc: Gridsvc) -> None:
    # the template database was initialised, so it has its admin already
    assert users.create_first_admin(svc.db) is None
    svc.db.cursor_fetchall("DELETE FROM app_user")
    made = users.create_first_admin(svc.db)
    assert made is not None and made[0] == "admin"
    assert users.sign_in(svc.db, "admin", made[1], ttl_s=TTL).principal.role == "admin"
    assert users.create_first_admin(svc.db) is None
