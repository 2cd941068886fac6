import pytest

from bcser_utils.audio.names import (
    BadNameError,
    RavdessName,
    expected_names,
    format_name,
    parse_name,
)


def test_every_expected_name_round_trips():
    names = expected_names()
    assert len(names) == 1440 == len({n.stem for n in names})
    for name in names:
        assert parse_name(name.filename(".flac")) == name
        assert format_name(name.emotion, name.intensity, name.statement, name.repetition,
                           name.actor) == name.filename()


def test_fields_decode_to_their_meaning():
    name = parse_name("Actor_12/03-01-05-02-01-02-12.wav")
    assert (name.emotion_name, name.intensity_name, name.statement, name.repetition) == \
        ("angry", "strong", 1, 2)
    assert name.actor == 12 and name.sex == "female" and name.folder == "Actor_12"
    assert parse_name("03-01-08-01-01-01-07").sex == "male"
    assert format_name("surprised", 1, 2, 1, 3, suffix=".flac") == "03-01-08-01-02-01-03.flac"


def test_per_actor_counts_follow_the_corpus_design():
    names = expected_names([5])
    assert len(names) == 60
    assert sum(n.emotion_name == "neutral" for n in names) == 4
    assert sum(n.emotion_name == "sad" for n in names) == 8


@pytest.mark.parametrize("bad, cause", [
    ("hello.wav", "not a RAVDESS name"),
    ("03-01-05-01-01-01.wav", "not a RAVDESS name"),
    ("03-01-09-01-01-01-01.wav", "emotion code 09"),
    ("03-01-05-03-01-01-01.wav", "intensity code 03"),
    ("03-01-05-01-01-01-25.wav", "actor code 25"),
    ("03-01-01-02-01-01-01.wav", "neutral has no strong intensity"),
])
def test_bad_names_are_refused_with_the_file_and_cause(bad, cause):
    with pytest.raises(BadNameError) as err:
        parse_name(bad)
    assert bad.split(".")[0] in str(err.value) and cause in str(err.value)


def test_constructor_validates_too():
    with pytest.raises(BadNameError, match="actor code 00"):
        RavdessName(3, 1, 5, 1, 1, 1, 0)
