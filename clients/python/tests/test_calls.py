"""Every call group against the server: shards, pushes, vectors, rounds, state, models, checkpoints, metrics, sweeps."""

import threading
from array import array

import numpy as np

from shardstep import PushOptions, decode_safetensors


def test_service(api):
    assert api.health()["status"] == "ok"
    assert "adam" in {r["name"] for r in api.rules()["rules"]}


def test_a_shards_life(api, name):
    config = {"length": 4, "rule": "sgd", "hyper": {"lr": 0.5}, "averages": {"ema": {"kind": "ema", "decay": 0.5}}}
    created = api.create_shard(name, config)
    assert created.created and created.info["version"] == 0
    assert not api.create_shard(name, config).created
    assert api.create_shard(name, {**config, "hyper": {"lr": 0.25}}, replace=True).created
    assert name in [s["name"] for s in api.list_shards(prefix=name)]
    stamp = api.upload_weights(name, [1, 2, 3, 4], chunk_floats=3)
    assert api.get_weights(name).values == array("f", [1, 2, 3, 4]) and stamp.etag
    pushed = api.push_gradient(name, np.array([4, 4, 4, 4], dtype=np.float32), PushOptions(base_version=0))
    assert pushed.version == 1 and pushed.weights == array("f", [0, 1, 2, 3]) and pushed.lr == 0.25 and not pushed.replayed
    summary = api.push_gradient_summary(name, array("f", [0, 0, 4, 0]), offset=0)
    assert summary["version"] == 2 and summary["applied"]
    assert api.get_weights(name, offset=2, length=1).values == array("f", [1]) and api.get_weights(name, offset=2, length=1).offset == 2
    assert api.get_point(name).is_weights and api.get_point(name).values == array("f", [0, 1, 1, 3])
    assert api.get_average(name, "ema").values == array("f", [0, 1, 1.5, 3])  # copied at the first update, then halfway
    assert api.wait_for_weights(name, api.get_weights(name).etag, wait_seconds=1) is None
    patched = api.patch_shard(name, {"hyper": {"lr": 0.125}})
    assert patched["config"]["hyper"]["lr"] == 0.125 and api.history(name)[-1]["version"] == 2
    assert api.get_status(name)["version"] == 2
    ticket = api.create_live_ticket(name)
    assert ticket["shard"] == name and ticket["ticket"] != api.create_live_ticket(name)["ticket"]
    assert api.live_url(name, ticket["ticket"]).startswith("ws://") and api.live_url(name, ticket["ticket"]).endswith(f"/v1/shards/{name}/live?ticket={ticket['ticket']}")
    assert api.report_metric(name, 0.5)["version"] == 2
    api.delete_shard(name)
    assert name not in [s["name"] for s in api.list_shards(prefix=name)]


def test_optimizer_state_and_checkpoints_of_a_shard(api, name):
    api.create_shard(name, {"length": 3, "rule": "adam", "hyper": {"lr": 0.1}})
    api.push_gradient(name, [1, 2, 3])
    exported = api.export_state(name)
    assert exported.step == 1 and exported.version == 1
    first = api.create_checkpoint(name, label="one")
    api.push_gradient(name, [1, 2, 3])
    second = api.create_checkpoint(name)
    assert [c["id"] for c in api.list_checkpoints(name)] == [first["id"], second["id"]]
    assert api.get_checkpoint(name, first["id"])["label"] == "one"
    w1, w2 = api.checkpoint_weights(name, first["id"]).values, api.checkpoint_weights(name, second["id"]).values
    mean = api.ensemble(name, checkpoints=[first["id"], second["id"]]).values
    assert np.allclose(np.frombuffer(mean, np.float32), (np.frombuffer(w1, np.float32) + np.frombuffer(w2, np.float32)) / 2, rtol=1e-6)
    assert api.ensemble(name, last=1).values == w2
    restored = api.restore_checkpoint(name, first["id"])
    assert restored["version"] == 3 and api.get_weights(name).values == w1
    again = api.import_state(name, exported.body, if_match=api.get_weights(name).etag)
    assert again.step == 1 and again.version == 4 and not again.replayed
    tensors = lambda body: {k: t.values() for k, t in decode_safetensors(body).tensors.items()}  # noqa: E731
    assert tensors(api.export_state(name).body) == tensors(exported.body)
    api.delete_checkpoint(name, second["id"])
    assert [c["id"] for c in api.list_checkpoints(name)] == [first["id"]]


def test_rounds_of_two_clients(api, name):
    api.create_shard(name, {"length": 2, "rule": "sgd", "hyper": {"lr": 1}, "aggregation": {"mode": "rounds", "quorum": 2, "deadline_ms": 60000}})
    first = api.push_to_round(name, [2, 4], PushOptions(client_id="a"))
    assert not first.closed and first.round == 1 and first.summary["round"]["contributors"] == 1
    assert api.get_status(name)["round"]["contributors"] == 1
    etag = api.get_weights(name).etag
    waited = {}
    waiter = threading.Thread(target=lambda: waited.update(v=api.wait_for_weights(name, etag, wait_seconds=20)))
    waiter.start()
    second = api.push_to_round(name, [0, 0], PushOptions(client_id="b"))
    waiter.join()
    assert second.closed and second.round == 1 and second.result.weights == array("f", [-1, -2])
    assert waited["v"].version == 1 and waited["v"].values == array("f", [-1, -2])


def test_a_models_tensors(api, name):
    manifest = {"tensors": [{"name": "w", "shape": [2, 2]}, {"name": "b", "shape": [3]}], "shard_size": 4, "config": {"rule": "sgd", "hyper": {"lr": 1}}}
    assert api.create_model(name, manifest).created
    assert name in [m["name"] for m in api.list_models(prefix=name)]
    assert len(api.get_model(name)["shards"]) == 2
    tickets = api.create_model_live_tickets(name)
    assert [t["index"] for t in tickets] == [0, 1] and api.model_live_url(name, 1, tickets[1]["ticket"]).endswith(f"/v1/models/{name}/live/1?ticket={tickets[1]['ticket']}")
    pushed = api.push_model_gradients(name, {"w": ([2, 2], [1, 2, 3, 4]), "b": np.ones(3, np.float32)})
    assert pushed.closed and pushed.tensors.version == 1
    assert pushed.tensors.tensors["w"].values() == array("f", [-1, -2, -3, -4]) and pushed.tensors.tensors["b"].shape == (3,)
    assert api.get_model_weights(name).tensors["b"].values() == array("f", [-1, -1, -1])
    assert api.get_model_point(name).point_is_weights
    checkpoint = api.create_model_checkpoint(name, label="c1")
    assert [c["id"] for c in api.list_model_checkpoints(name)] == [checkpoint["id"]]
    api.push_model_gradients(name, {"w": ([2, 2], [1, 1, 1, 1]), "b": ([3], [1, 1, 1])})
    assert api.model_checkpoint_weights(name, checkpoint["id"]).tensors["w"].values() == array("f", [-1, -2, -3, -4])
    assert api.model_ensemble(name, last=1).tensors["b"].values() == array("f", [-1, -1, -1])
    api.restore_model_checkpoint(name, checkpoint["id"])
    assert api.get_model_weights(name).tensors["w"].values() == array("f", [-1, -2, -3, -4])
    state = api.export_model_state(name)
    assert api.import_model_state(name, state.body, if_match=state.etag)["etag"]
    api.delete_model_checkpoint(name, checkpoint["id"])
    api.delete_model(name)
    assert name not in [m["name"] for m in api.list_models(prefix=name)]


def test_a_sweep_worked_by_the_loop(api, name):
    sweep = {
        "objective": {"metric": "loss", "direction": "minimize"},
        "space": {"lr": {"kind": "log_uniform", "low": 0.01, "high": 1, "target": "hyper.lr"}},
        "algorithm": {"kind": "random"},
        "budget": {"trials": 3, "parallel": 1, "resource": 2, "unit": "steps"},
        "template": {"shard": {"length": 2, "rule": "sgd", "init": {"kind": "zeros"}}},
        "seed": 3,
    }
    assert api.sweeps.create(name, sweep).created

    def train(trial, ctx):
        loss = None
        for step in range(int(ctx.resume_step) + 1, 3):
            weights = api.push_gradient(trial["shard"], [1, -1]).weights
            loss = float(sum(w * w for w in weights))
            ctx.report(step, {"loss": loss})
        return {"loss": loss}

    summary = api.sweeps.work(name, train, worker="py")
    assert summary.trials == 3 and summary.completed == 3
    assert [t["state"] for t in api.sweeps.trials(name)] == ["complete"] * 3
    assert api.sweeps.get(name)["best"] is not None
    members = api.sweeps.ensemble(name, top=2).members
    assert len(members) == 2 and len(members[0].weights) == 2
    assert api.sweeps.objective_plot(name, "lr").startswith("<svg") and api.sweeps.curves_plot(name).startswith("<svg")
    assert api.sweeps.trial(name, members[0].trial)["id"] == members[0].trial
    assert name in [s["name"] for s in api.sweeps.list(prefix=name)]
    api.sweeps.delete(name)
