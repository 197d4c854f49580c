"""The auto-scaling policy API and "delete all data" (docs/manager.md, "Policy and
decisions", "Data and the manager")."""
import requests

from manager_harness import ADMIN_PASSWORD, error_of, upload

DEFAULT_POLICY = {"grow_threshold": 70, "shrink_threshold": 30, "expand_ratio": 2.0, "shrink_ratio": 0.5,
                  "min_workers": 1, "max_workers": 8, "check_interval_seconds": 60, "window_seconds": 120,
                  "shrink_stabilisation_seconds": 300, "paused": False}

# A change of the default policy that must be refused, and the fields of which the
# message must name one (as the key, or in words: "shrink threshold").
INVALID_CHANGES = [
    ({"shrink_threshold": 70}, ("shrink_threshold", "grow_threshold")),
    ({"shrink_threshold": 80, "grow_threshold": 60}, ("shrink_threshold", "grow_threshold")),
    ({"min_workers": 5, "max_workers": 3}, ("min_workers", "max_workers")),
    ({"min_workers": 0}, ("min_workers",)),
    ({"expand_ratio": 0.5}, ("expand_ratio",)),
    ({"shrink_ratio": 1.5}, ("shrink_ratio",)),
    ({"check_interval_seconds": -60}, ("check_interval_seconds",)),
    ({"grow_threshold": "high"}, ("grow_threshold",)),
    ({"paused": None}, ("paused",)),  # missing: PUT takes the whole object
]



def _names(field):
    """How a message may name a field: its key, or in words (as the policy page labels it)."""
    words = field.replace("_", " ")
    return {field, words, words.replace("min ", "minimum ").replace("max ", "maximum "),
            words.removesuffix(" seconds")}


def policy_of(answer):
    """The policy in an answer of /api/v1/policy, without its warnings."""
    return {k: v for k, v in answer.items() if k != "warnings"}


NEW_POLICY = {"grow_threshold": 80, "shrink_threshold": 20, "expand_ratio": 1.5, "shrink_ratio": 0.75,
              "min_workers": 1, "max_workers": 6, "check_interval_seconds": 30, "window_seconds": 180,
              "shrink_stabilisation_seconds": 600, "paused": True}


def test_policy_validation_storage_and_restart(manager_factory):
    m = manager_factory()
    r = m.api.get("/api/v1/policy")
    assert r.status_code == 200, r.text
    assert r.json() == {**DEFAULT_POLICY, "warnings": []}

    for change, fields in INVALID_CHANGES:
        body = {k: v for k, v in {**DEFAULT_POLICY, **change}.items() if v is not None}
        r = m.api.put("/api/v1/policy", json=body)
        assert r.status_code == 400, f"PUT /api/v1/policy with {change}: {r.status_code} {r.text}"
        message = error_of(r).get("message", "").lower()
        assert any(name in message for f in fields for name in _names(f)), \
            f"the message for {change} names none of {fields}: {message!r}"
        assert policy_of(m.api.get("/api/v1/policy").json()) == DEFAULT_POLICY, \
            f"a refused policy ({change}) changed it"

    r = m.api.put("/api/v1/policy", json=NEW_POLICY, headers={"X-CSRF-Token": None})
    assert r.status_code == 403, f"PUT /api/v1/policy without the CSRF header: {r.status_code} {r.text}"
    assert policy_of(m.api.get("/api/v1/policy").json()) == DEFAULT_POLICY

    r = m.api.put("/api/v1/policy", json=NEW_POLICY)
    assert r.status_code == 200, r.text
    assert policy_of(r.json()) == NEW_POLICY
    # Accepted, with a warning: a 180 s window is longer than 4 checks of 30 s.
    assert [w["field"] for w in r.json()["warnings"]] == ["window_seconds"], r.json()
    assert "longer than 4 check intervals" in r.json()["warnings"][0]["message"]
    assert policy_of(m.api.get("/api/v1/policy").json()) == NEW_POLICY

    # A careless policy is accepted too, and the warning says why it is one.
    careless = {**NEW_POLICY, "grow_threshold": 60, "shrink_threshold": 55, "expand_ratio": 2.0,
                "shrink_ratio": 0.5, "window_seconds": 120}
    r = m.api.put("/api/v1/policy", json=careless)
    assert r.status_code == 200, r.text
    assert [w["field"] for w in r.json()["warnings"]] == ["shrink_threshold"], r.json()
    assert r.json()["warnings"] == m.api.get("/api/v1/policy").json()["warnings"]
    r = m.api.put("/api/v1/policy", json=NEW_POLICY)
    assert r.status_code == 200, r.text

    assert m.stop() == 0, m.stderr()
    assert not m.leftovers()
    again = manager_factory(data_dir=m.data_dir)
    r = again.api.get("/api/v1/policy")
    assert r.status_code == 200, r.text
    assert policy_of(r.json()) == NEW_POLICY, "the policy did not survive a restart"


def _history(client):
    """Every image of the client's user, over the four categories of the history."""
    images = []
    for category in ("no_faces", "all_masked", "none_masked", "some_masked"):
        r = client.get(f"/api/v1/images?category={category}&page_size=100")
        assert r.status_code == 200, f"GET /api/v1/images?category={category}: {r.status_code} {r.text}"
        assert r.json()["total"] == len(r.json()["images"]), r.text
        images += r.json()["images"]
    return images


def _stored_files(manager):
    root = manager.data_dir / "objects"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_delete_all_data_keeps_accounts(manager, photo):
    manager.wait_settled(1)
    manager.register("alice")
    r = upload(requests, manager.lb_url, "alice", photo)
    assert r.status_code == 200, r.text
    alice = manager.user_client("alice")
    images = _history(alice)
    assert len(images) == 1, images
    image_id = images[0]["id"]
    files = _stored_files(manager)

    for body in (None, {}, {"confirm": "yes"}, {"confirm": "delete"}):
        r = manager.api.post("/api/v1/data/delete", json=body)
        assert r.status_code == 400, f"POST /api/v1/data/delete with {body}: {r.status_code} {r.text}"
    r = manager.api.post("/api/v1/data/delete", json={"confirm": "delete all data"},
                         headers={"X-CSRF-Token": None})
    assert r.status_code == 403, f"without the CSRF header: {r.status_code} {r.text}"
    assert len(_history(alice)) == 1, "a refused delete deleted"
    assert _stored_files(manager) == files, "a refused delete deleted stored objects"

    r = manager.api.post("/api/v1/data/delete", json={"confirm": "delete all data"})
    assert r.status_code == 200, r.text
    # One image: its original, annotated picture and thumbnail (docs/api.md).
    assert (r.json()["images_deleted"], r.json()["objects_deleted"]) == (1, 3), r.text

    assert _history(alice) == [], "images left after deleting all data"
    r = alice.get(f"/api/v1/images/{image_id}")
    assert r.status_code == 404, r.text
    if files:  # the local object store keeps its files under DATA/objects
        assert _stored_files(manager) == [], "stored objects left on disk"

    # Accounts stay: alice logs in and uploads again; the administrator too.
    manager.user_client("alice")
    r = upload(requests, manager.lb_url, "alice", photo)
    assert r.status_code == 200, r.text
    _, r = manager.login("admin", ADMIN_PASSWORD)
    assert r.status_code == 200, r.text
