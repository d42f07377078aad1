"""The fake itself and the package surface: scripted answers in order, overruns visible, exports sorted."""

from __future__ import annotations

import inspect

import pytest

import learning_fs.extract as extract
from learning_fs.extract import ModelAPIError
from tests.fakellm import FakeLLM, make_model

HELLO = [{"role": "user", "content": "hello"}]


def test_answers_in_order_and_records_requests() -> None:
    fake = FakeLLM().enqueue_text("one").enqueue_json({"n": 2})
    model = make_model(fake)
    assert model.complete(HELLO).content == "one"
    assert model.complete(HELLO).content == '{"n": 2}'
    assert fake.remaining == 0
    assert [r["messages"] for r in fake.requests] == [HELLO, HELLO]


def test_running_out_of_script_is_an_http_500_and_recorded() -> None:
    fake = FakeLLM()
    with pytest.raises(ModelAPIError, match="no scripted response left"):
        make_model(fake).complete(HELLO)
    assert fake.unexpected == [fake.last_request]


def test_public_api_is_sorted_and_complete() -> None:
    assert extract.__all__ == sorted(extract.__all__)
    public = {
        name
        for name, value in vars(extract).items()
        if not name.startswith("_") and not inspect.ismodule(value) and name != "annotations"
    }
    assert public == set(extract.__all__)
