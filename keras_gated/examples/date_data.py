"""Human-readable dates in many formats, with their ISO translations.

Everything is generated locally from Python's `datetime`, so the examples
need no download. A date between 1950-01-01 and 2049-12-31 is written in one
of `FORMATS`:

>>> import datetime
>>> day = datetime.date(1998, 5, 3)
>>> for name in ["d Month yyyy", "Weekday, Month d, yyyy", "mm/dd/yy",
...              "d.m.yyyy", "Month dth yyyy", "yyyy-mm-dd"]:
...     print(format_date(day, name))
3 May 1998
Sunday, May 3, 1998
05/03/98
3.5.1998
May 3rd 1998
1998-05-03

and translated to ISO 8601, `YYYY-MM-DD`. The formats are unambiguous by
construction: slashes put the month first (US), dots and dashes between
numbers put the day first (European) unless the year leads, and a two-digit
year `yy` means 19yy from 50 on and 20yy below 50, which is why the dates
stay within 1950-2049.

The characters become integer ids through a `CharVocabulary`:
`SOURCE_VOCABULARY` for the human-readable side, `TARGET_VOCABULARY` for
the ISO side.
"""

import datetime
import string
from typing import NamedTuple

import numpy as np

FIRST_DATE = datetime.date(1950, 1, 1)
LAST_DATE = datetime.date(2049, 12, 31)
ISO_LENGTH = len("yyyy-mm-dd")

_MONTHS = [
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
]  # fmt: skip
_WEEKDAYS = [
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
    "Sunday",
]  # fmt: skip


def _month(date):
    return _MONTHS[date.month - 1]


def _mon(date):
    return _month(date)[:3]


def _weekday(date):
    return _WEEKDAYS[date.weekday()]


def _wkd(date):
    return _weekday(date)[:3]


def _dth(date):
    """The day as an English ordinal: 1st, 2nd, 3rd, 4th, ..., 11th, 21st."""
    day = date.day
    suffix = (
        "th"
        if 11 <= day <= 13
        else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    )
    return f"{day}{suffix}"


def _yy(date):
    return f"{date.year % 100:02d}"


# name -> how to write a `datetime.date` that way. The names spell the
# fields: d/m one or two digits, dd/mm two digits, yy two digits of the year.
FORMATS = {
    "d Month yyyy": lambda d: f"{d.day} {_month(d)} {d.year}",
    "Weekday, Month d, yyyy": (
        lambda d: f"{_weekday(d)}, {_month(d)} {d.day}, {d.year}"
    ),
    "Weekday d Month yyyy": (
        lambda d: f"{_weekday(d)} {d.day} {_month(d)} {d.year}"
    ),
    "Wkd, d Mon yyyy": lambda d: f"{_wkd(d)}, {d.day} {_mon(d)} {d.year}",
    "Month d, yyyy": lambda d: f"{_month(d)} {d.day}, {d.year}",
    "Mon d, yyyy": lambda d: f"{_mon(d)} {d.day}, {d.year}",
    "Month dth yyyy": lambda d: f"{_month(d)} {_dth(d)} {d.year}",
    "dth of Month yyyy": lambda d: f"{_dth(d)} of {_month(d)} {d.year}",
    "d Mon yy": lambda d: f"{d.day} {_mon(d)} {_yy(d)}",
    "dd-Mon-yyyy": lambda d: f"{d.day:02d}-{_mon(d)}-{d.year}",
    "month d yyyy": lambda d: f"{_month(d).lower()} {d.day} {d.year}",
    "MONTH d, yyyy": lambda d: f"{_month(d).upper()} {d.day}, {d.year}",
    "mm/dd/yy": lambda d: f"{d.month:02d}/{d.day:02d}/{_yy(d)}",
    "m/d/yyyy": lambda d: f"{d.month}/{d.day}/{d.year}",
    "d.m.yyyy": lambda d: f"{d.day}.{d.month}.{d.year}",
    "dd.mm.yy": lambda d: f"{d.day:02d}.{d.month:02d}.{_yy(d)}",
    "dd-mm-yyyy": lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
    "yyyy-mm-dd": lambda d: d.isoformat(),
    "yyyy/mm/dd": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "yyyymmdd": lambda d: f"{d.year}{d.month:02d}{d.day:02d}",
}


def format_date(date, format_name):
    """Writes `date` (a `datetime.date`) in the format named `format_name`.

    Args:
        date: A `datetime.date` between `FIRST_DATE` and `LAST_DATE`.
        format_name: A key of `FORMATS`.

    Returns:
        The date as a string, e.g. `"Sunday, May 3, 1998"`.
    """
    if format_name not in FORMATS:
        raise ValueError(
            "Received an invalid value for argument `format_name`, expected "
            f"one of {sorted(FORMATS)}, got {format_name!r}."
        )
    if not FIRST_DATE <= date <= LAST_DATE:
        raise ValueError(
            "Received an invalid value for argument `date`, expected a date "
            f"from {FIRST_DATE} to {LAST_DATE} (two-digit years are read "
            f"within that century), got {date!r}."
        )
    return FORMATS[format_name](date)


class DateExamples(NamedTuple):
    """Parallel lists: the written dates, their ISO forms, their formats."""

    sources: list
    targets: list
    formats: list


def make_splits(*counts, seed=0, formats=None):
    """Random written dates, one `DateExamples` per count, on disjoint dates.

    Every split draws its dates without replacement from one shuffle of
    all the days from `FIRST_DATE` to `LAST_DATE`, so no date of one split
    occurs in another (a held-out split is made of dates never seen in
    training), and each example gets a format drawn uniformly from
    `formats`. The same `seed` gives the same splits.

    Args:
        *counts: Positive ints, the number of examples of each split.
        seed: Seed of the NumPy generator. Default: 0.
        formats: Names of `FORMATS` to draw from; `None` for all.

    Returns:
        A list of `DateExamples`, one per count.

    Example:

    >>> train, test = make_splits(3, 2, seed=1)
    >>> len(train.sources), len(test.targets)
    (3, 2)
    >>> set(train.targets) & set(test.targets)
    set()
    """
    formats = list(FORMATS) if formats is None else list(formats)
    for name in formats:
        format_date(FIRST_DATE, name)  # Checks the name.
    if not formats:
        raise ValueError(
            "Received an invalid value for argument `formats`, expected at "
            "least one format name, got []."
        )
    days = (LAST_DATE - FIRST_DATE).days + 1
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
            raise ValueError(
                "Received an invalid value for argument `counts`, expected "
                f"positive integers, got {count!r}."
            )
    if sum(counts) > days:
        raise ValueError(
            "Received an invalid value for argument `counts`, expected at "
            f"most {days} examples in all (one per day, the dates being "
            f"disjoint), got {counts!r}."
        )
    rng = np.random.default_rng(seed)
    offsets = rng.permutation(days)
    splits, start = [], 0
    for count in counts:
        dates = [
            FIRST_DATE + datetime.timedelta(days=int(offset))
            for offset in offsets[start : start + count]
        ]
        start += count
        names = [formats[i] for i in rng.integers(0, len(formats), count)]
        splits.append(
            DateExamples(
                sources=[format_date(d, n) for d, n in zip(dates, names)],
                targets=[d.isoformat() for d in dates],
                formats=names,
            )
        )
    return splits


class CharVocabulary:
    """Maps characters to integer ids and back.

    Id 0 is always padding; the other `reserved` tokens come next, then the
    characters of `alphabet` in order. Characters outside the alphabet
    encode to `"<unk>"` when it is reserved (and are refused otherwise);
    decoding stops at `"<end>"` and skips every other reserved token.

    Args:
        alphabet: The characters, a string without repeats.
        reserved: The names of the reserved tokens, `"<pad>"` first.

    Example:

    >>> vocabulary = CharVocabulary("ab", reserved=("<pad>", "<end>"))
    >>> vocabulary.encode(["ab", "b"], add_end=True).tolist()
    [[2, 3, 1], [3, 1, 0]]
    >>> vocabulary.decode([[2, 3, 1], [3, 1, 0]])
    ['ab', 'b']
    """

    def __init__(self, alphabet, reserved=("<pad>",)):
        reserved = tuple(reserved)
        if not reserved or reserved[0] != "<pad>":
            raise ValueError(
                "Received an invalid value for argument `reserved`, expected "
                f"names starting with '<pad>', got {reserved!r}."
            )
        if len(set(alphabet)) != len(alphabet) or not alphabet:
            raise ValueError(
                "Received an invalid value for argument `alphabet`, expected "
                f"a non-empty string without repeats, got {alphabet!r}."
            )
        self.alphabet = alphabet
        self.reserved = reserved
        self.tokens = list(reserved) + list(alphabet)
        self.ids = {token: i for i, token in enumerate(self.tokens)}

    @property
    def size(self):
        """The number of ids, reserved tokens included."""
        return len(self.tokens)

    def __getitem__(self, token):
        return self.ids[token]

    def encode(self, texts, length=None, add_start=False, add_end=False):
        """Encodes strings as an int32 array `(len(texts), length)`.

        Args:
            texts: A list of strings.
            length: The number of columns; `None` for the longest encoded
                text. Longer texts are refused.
            add_start: Whether to put `"<start>"` first.
            add_end: Whether to put `"<end>"` last.

        Returns:
            The ids, padded with 0.
        """
        rows = []
        for text in texts:
            row = [self.ids["<start>"]] if add_start else []
            row += [self._id(character) for character in text]
            row += [self.ids["<end>"]] if add_end else []
            rows.append(row)
        width = max((len(row) for row in rows), default=0)
        if length is None:
            length = width
        elif width > length:
            raise ValueError(
                f"Received length={length}, but a text encodes to {width} ids."
            )
        ids = np.zeros((len(rows), length), dtype="int32")
        for i, row in enumerate(rows):
            ids[i, : len(row)] = row
        return ids

    def _id(self, character):
        if character in self.ids and character not in self.reserved:
            return self.ids[character]
        if "<unk>" in self.ids:
            return self.ids["<unk>"]
        raise ValueError(
            f"Received the character {character!r}, which is not in the "
            f"alphabet {self.alphabet!r}."
        )

    def decode(self, ids):
        """Decodes rows of ids to strings, up to the first `"<end>"`."""
        end = self.ids.get("<end>")
        texts = []
        for row in np.asarray(ids).tolist():
            characters = []
            for i in row:
                if i == end:
                    break
                if i >= len(self.reserved):
                    characters.append(self.tokens[i])
            texts.append("".join(characters))
        return texts

    def codepoint_table(self, size=128):
        """Ids of the characters with code points `0..size-1`, then `<unk>`.

        An int32 array of `size + 1` entries, for encoding inside a graph
        (e.g. a SavedModel): look up `min(code point, size)`.
        """
        unknown = self.ids.get("<unk>", 0)
        table = np.full((size + 1,), unknown, dtype="int32")
        for character in self.alphabet:
            if ord(character) < size:
                table[ord(character)] = self.ids[character]
        return table


SOURCE_VOCABULARY = CharVocabulary(
    " ,-./" + string.digits + string.ascii_letters, reserved=("<pad>", "<unk>")
)
TARGET_VOCABULARY = CharVocabulary(
    "-" + string.digits, reserved=("<pad>", "<start>", "<end>")
)


def encode_sources(texts, length=None):
    """The written dates as `SOURCE_VOCABULARY` ids, `(len(texts), length)`."""
    return SOURCE_VOCABULARY.encode(texts, length)


def encode_targets(targets):
    """`(decoder_input, decoder_target)`, each `(len(targets), 11)`.

    `decoder_input` is `<start>` and the ISO characters (teacher forcing),
    `decoder_target` the ISO characters and `<end>`.

    >>> decoder_input, decoder_target = encode_targets(["1998-05-03"])
    >>> TARGET_VOCABULARY.decode(decoder_input[:, 1:])
    ['1998-05-03']
    >>> bool(decoder_target[0, -1] == TARGET_VOCABULARY["<end>"])
    True
    """
    decoder_input = TARGET_VOCABULARY.encode(
        targets, ISO_LENGTH + 1, add_start=True
    )
    decoder_target = TARGET_VOCABULARY.encode(
        targets, ISO_LENGTH + 1, add_end=True
    )
    return decoder_input, decoder_target
