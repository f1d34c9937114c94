"""Training configs as data: shipped files, the recipe values, overrides, errors."""

import pytest

from pasd.training import TrainConfig, list_configs, load_train_config, parse_override


def test_shipped_configs():
    assert {"pasd", "pasd-light", "pasd-rrdb", "pasd-abl-a", "pasd-no-paca", "tiny"} <= set(list_configs())
    for name in list_configs():
        assert load_train_config(name).name == name


def test_pasd_recipe_values():
    """The official recipe (train_pasd.sh + train_pasd.py) with the paper's lr and null-prompt ratio."""
    c = load_train_config("pasd")
    assert (c.base, c.paca_type, c.use_rrdb, c.dr, c.paca) == ("sd15", "full", False, True, True)
    assert (c.learning_rate, c.adam_beta1, c.adam_beta2, c.weight_decay, c.adam_epsilon) == (
        5e-5, 0.9, 0.999, 1e-2, 1e-8,
    )  # fmt: skip
    assert (c.lr_scheduler, c.max_grad_norm, c.dr_weight, c.null_prompt_prob) == ("constant", 1.0, 1.0, 0.5)
    assert (c.batch_size, c.gradient_accumulation_steps, c.mixed_precision) == (4, 2, "fp16")
    assert (c.resolution, c.degradation, c.hflip, c.checkpoint_every) == (512, "pasd_x4", True, 10000)


def test_variants_change_only_their_switch():
    base = load_train_config("pasd").as_dict()
    for name, diff in {
        "pasd-light": {"paca_type": "light"},
        "pasd-rrdb": {"use_rrdb": True},
        "pasd-light-rrdb": {"paca_type": "light", "use_rrdb": True},
        "pasd-abl-a": {"dr": False},
        "pasd-no-paca": {"paca": False},
        "pasd-no-null-prompt": {"null_prompt_prob": 0.0},
    }.items():
        got = load_train_config(name).as_dict()
        changed = {k: got[k] for k in got if got[k] != base[k] and k not in ("name", "description", "source")}
        assert changed == diff, name


def test_overrides_and_sections(tmp_path):
    assert parse_override("dr=false") == ("dr", False)
    assert parse_override("model.dr=false") == ("dr", False)
    assert parse_override("learning_rate=1e-5") == ("learning_rate", 1e-5)
    assert parse_override("base=/models/sd15") == ("base", "/models/sd15")
    c = load_train_config("tiny", {"dr": False, "learning_rate": 1})
    assert c.dr is False and c.learning_rate == 1.0
    path = tmp_path / "mine.toml"
    path.write_text('extends = "pasd-light"\nname = "mine"\n[optim]\nbatch_size = 1\n')
    mine = load_train_config(path)
    assert (mine.name, mine.paca_type, mine.batch_size, mine.learning_rate) == ("mine", "light", 1, 5e-5)


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        ("[model]\nlearning_rate = 1.0\n", ValueError, r"belongs in \[optim\]"),
        ("[optim]\nbatch_size = 0\n", ValueError, "batch_size must be >= 1"),
        ("[model]\ndr = 'no'\n", TypeError, "dr must be true or false"),
        ("[run]\nmixed_precision = 'fp8'\n", ValueError, "not one of"),
        ("[model]\nnot_a_key = 1\n", ValueError, "not a \\[model\\] setting"),
        ("extends = 'mine'\n", ValueError, "extends itself"),
        ("[model\n", ValueError, "not valid TOML"),
    ],
    ids=["wrong-section", "range", "type", "choice", "unknown", "cycle", "syntax"],
)
def test_bad_config_files(tmp_path, text, error, match):
    path = tmp_path / "mine.toml"
    path.write_text(text.replace("'mine'", repr(str(path))))
    with pytest.raises(error, match=match):
        load_train_config(path)


def test_unknown_names():
    with pytest.raises(ValueError, match="did you mean"):
        load_train_config("tiny", {"learnig_rate": 1e-4})
    with pytest.raises(ValueError, match=r"Did you mean \['pasd-light'"):
        load_train_config("pasd-lite")
    with pytest.raises(ValueError, match="KEY=VALUE"):
        parse_override("dr")
    with pytest.raises(ValueError, match="null_prompt_prob"):
        TrainConfig(null_prompt_prob=1.5)
