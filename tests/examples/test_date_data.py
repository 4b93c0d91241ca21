import datetime
import re

import numpy as np
import pytest

from keras_gated.examples import date_data
from keras_gated.examples.date_data import FORMATS
from keras_gated.examples.date_data import SOURCE_VOCABULARY
from keras_gated.examples.date_data import TARGET_VOCABULARY
from keras_gated.examples.date_data import CharVocabulary

DAY = datetime.date(1998, 5, 3)

# An independent reading of every format: a strptime pattern, after the
# ordinal suffixes are removed. Two-digit years are read by the pivot rule
# below, not strptime's (which puts 50-68 in the 2000s).
STRPTIME = {
    "d Month yyyy": "%d %B %Y",
    "Weekday, Month d, yyyy": "%A, %B %d, %Y",
    "Weekday d Month yyyy": "%A %d %B %Y",
    "Wkd, d Mon yyyy": "%a, %d %b %Y",
    "Month d, yyyy": "%B %d, %Y",
    "Mon d, yyyy": "%b %d, %Y",
    "Month dth yyyy": "%B %d %Y",
    "dth of Month yyyy": "%d of %B %Y",
    "d Mon yy": "%d %b %y",
    "dd-Mon-yyyy": "%d-%b-%Y",
    "month d yyyy": "%B %d %Y",
    "MONTH d, yyyy": "%B %d, %Y",
    "mm/dd/yy": "%m/%d/%y",
    "m/d/yyyy": "%m/%d/%Y",
    "d.m.yyyy": "%d.%m.%Y",
    "dd.mm.yy": "%d.%m.%y",
    "dd-mm-yyyy": "%d-%m-%Y",
    "yyyy-mm-dd": "%Y-%m-%d",
    "yyyy/mm/dd": "%Y/%m/%d",
    "yyyymmdd": "%Y%m%d",
}


def read_date(text, name):
    text = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text)
    parsed = datetime.datetime.strptime(text, STRPTIME[name]).date()
    if "%y" in STRPTIME[name]:
        yy = parsed.year % 100
        parsed = parsed.replace(year=(1900 if yy >= 50 else 2000) + yy)
    return parsed


def every_tenth_day():
    day = date_data.FIRST_DATE
    while day <= date_data.LAST_DATE:
        yield day
        day += datetime.timedelta(days=10)


def test_the_reference_reading_covers_every_format():
    assert set(STRPTIME) == set(FORMATS)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_writes_the_date_it_was_given(name):
    days = [*every_tenth_day(), date_data.FIRST_DATE, date_data.LAST_DATE]
    for day in days:
        assert read_date(date_data.format_date(day, name), name) == day


def test_examples_from_the_issue():
    written = {date_data.format_date(DAY, name) for name in FORMATS}
    assert {
        "3 May 1998",
        "Sunday, May 3, 1998",
        "05/03/98",
        "3.5.1998",
        "May 3rd 1998",
        "1998-05-03",
    } <= written


@pytest.mark.parametrize(
    "day, ordinal",
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"),
     (12, "12th"), (13, "13th"), (21, "21st"), (22, "22nd"), (23, "23rd"),
     (30, "30th"), (31, "31st")],
)  # fmt: skip
def test_ordinal_suffixes(day, ordinal):
    text = date_data.format_date(datetime.date(2000, 1, day), "Month dth yyyy")
    assert text == f"January {ordinal} 2000"


def test_format_date_refuses_bad_arguments():
    with pytest.raises(ValueError, match="`format_name`.*'dd/mm/yyyy'"):
        date_data.format_date(DAY, "dd/mm/yyyy")
    with pytest.raises(ValueError, match="`date`.*1949"):
        date_data.format_date(datetime.date(1949, 12, 31), "yyyy-mm-dd")


def test_splits_are_deterministic_and_depend_on_the_seed():
    assert date_data.make_splits(50, 20, seed=3) == date_data.make_splits(
        50, 20, seed=3
    )
    assert date_data.make_splits(50, seed=3) != date_data.make_splits(
        50, seed=4
    )


def test_splits_are_on_disjoint_dates_and_cover_every_format():
    train, test = date_data.make_splits(3000, 500, seed=0)
    assert (
        len(train.sources) == len(train.targets) == len(train.formats) == 3000
    )
    assert len(set(train.targets)) == 3000
    assert not set(train.targets) & set(test.targets)
    assert set(train.formats) == set(FORMATS)
    for source, target, name in zip(*test):
        assert read_date(source, name).isoformat() == target


def test_splits_with_chosen_formats():
    (split,) = date_data.make_splits(30, formats=["mm/dd/yy"], seed=0)
    assert set(split.formats) == {"mm/dd/yy"}
    assert all(re.fullmatch(r"\d\d/\d\d/\d\d", s) for s in split.sources)


@pytest.mark.parametrize(
    "counts, kwargs, match",
    [
        ((0,), {}, "`counts`.*0"),
        ((2.5,), {}, "`counts`.*2.5"),
        ((40000,), {}, "`counts`.*at most 36525"),
        ((5,), {"formats": []}, "`formats`"),
        ((5,), {"formats": ["nope"]}, "`format_name`.*'nope'"),
    ],
)
def test_make_splits_refuses_bad_arguments(counts, kwargs, match):
    with pytest.raises(ValueError, match=match):
        date_data.make_splits(*counts, **kwargs)


def test_source_encoding_round_trip():
    (split,) = date_data.make_splits(500, seed=1)
    ids = date_data.encode_sources(split.sources)
    assert ids.dtype == np.int32
    assert ids.shape == (500, max(map(len, split.sources)))
    assert SOURCE_VOCABULARY.decode(ids) == split.sources
    assert not np.any(ids == SOURCE_VOCABULARY["<unk>"])
    assert np.all((ids != 0).sum(-1) == [len(s) for s in split.sources])


def test_target_encoding_round_trip():
    targets = ["1998-05-03", "2049-12-31"]
    decoder_input, decoder_target = date_data.encode_targets(targets)
    assert decoder_input.shape == decoder_target.shape == (2, 11)
    assert np.all(decoder_input[:, 0] == TARGET_VOCABULARY["<start>"])
    assert np.all(decoder_target[:, -1] == TARGET_VOCABULARY["<end>"])
    np.testing.assert_array_equal(decoder_input[:, 1:], decoder_target[:, :-1])
    assert TARGET_VOCABULARY.decode(decoder_target) == targets


def test_unknown_characters_and_fixed_length():
    ids = SOURCE_VOCABULARY.encode(["3 Mai 1998 é"], length=16)
    assert ids.shape == (1, 16)
    assert ids[0, 11] == SOURCE_VOCABULARY["<unk>"]
    assert SOURCE_VOCABULARY.decode(ids) == ["3 Mai 1998 "]
    with pytest.raises(ValueError, match="length=3"):
        SOURCE_VOCABULARY.encode(["1998"], length=3)
    with pytest.raises(ValueError, match="'x'"):
        TARGET_VOCABULARY.encode(["x"])


def test_decoding_stops_at_the_end_token():
    end = TARGET_VOCABULARY["<end>"]
    one = TARGET_VOCABULARY["1"]
    assert TARGET_VOCABULARY.decode([[one, end, one, one]]) == ["1"]


def test_codepoint_table_agrees_with_encode():
    table = SOURCE_VOCABULARY.codepoint_table()
    assert table.shape == (129,) and table.dtype == np.int32
    for code in range(128):
        assert table[code] == SOURCE_VOCABULARY.encode([chr(code)])[0, 0]
    assert table[128] == SOURCE_VOCABULARY["<unk>"]


@pytest.mark.parametrize(
    "alphabet, reserved, match",
    [
        ("aa", ("<pad>",), "`alphabet`"),
        ("", ("<pad>",), "`alphabet`"),
        ("ab", ("<end>", "<pad>"), "`reserved`"),
    ],
)
def test_vocabulary_refuses_bad_arguments(alphabet, reserved, match):
    with pytest.raises(ValueError, match=match):
        CharVocabulary(alphabet, reserved)
