"""A light Persian stemmer for matching query words to term-bank entries (and, if measured
worthwhile, the lexical index).

It works on `ingest.clean.normalize` output, where ZWNJ is gone and suffixes are joined to
their word: normalize('سیستم‌های') == 'سیستمهای', normalize('می‌شود') == 'میشود'. So every
rule strips a joined affix, and each is guarded by a minimum stem length and a short list of
words whose ending merely looks like an affix (سازمان is not سازم + ان, مالیات is not a
plural, سهام is not سه + ام). Precision over recall: an unstripped plural only costs a
match, a wrongly cut stem (میراث -> راث) makes false ones.
"""

from __future__ import annotations

MIN_STEM = 3

# Remainders after می/نمی that show the word is a noun, not a verb (from the normaliser's
# own list in ingest/clean.py, extended with the legal nouns میراث and میزان).
_MI_NOUNS = frozenset(
    "ز ل ان دان زان لیون لیارد راث وه هن ن لاد انه زبان خ ش کروب ترا ثاق گو نو همان ره رزا "
    "انگین زانی".split()
)
# Words ending in ان / ات / تر / ها that are not plurals or comparatives.
_KEEP = frozenset(
    "سازمان ساختمان درمان زمان زبان میزان امکان ایران تهران انسان پایان دوران بحران فرمان "
    "جهان نشان توان خیابان پیمان استان بیمارستان شهرستان داستان زمستان تابستان دبستان عنوان "
    "میدان زندان خاندان دندان ارزان آسان فراوان کاروان حیوان ایوان گمان آسمان مهمان باران "
    "میهمان گریبان قربان سامان بنیان فقدان جبران نقصان طغیان کتمان احسان اذعان اتقان بستان "
    "پنهان آبان گروگان ارکان اعیان همگان دیوان ایمان امان جوان نهان ویران زیان "
    "مالیات ادبیات حیات اثبات ثبات نجات زکات برات ذات مساوات اوقات صلوات خدمات محاکمات "
    "دفتر کامپیوتر انگشتر کبوتر دختر بستر چتر اختر فیلتر لیتر متر دکتر "
    "تنها بها رها انتها اجارهبها شیربها خونبها "
    "سهام اتهام ابهام الهام ایهام اوهام جهات شبهات پاداش تلاش نقاش خراش".split()
)
_PLURAL_HA = ("هایی", "های", "ها")
_PRONOUNS = ("ام", "ات", "اش", "مان", "تان", "شان")
_VERB_ENDINGS = ("د", "ند")


def stem_fa(word: str) -> str:
    """The stem of one normalised Persian word (unchanged when no rule applies safely)."""
    if word in _KEEP or len(word) <= MIN_STEM:
        return word
    word = _strip_verb_prefix(word)
    word = _strip_pronoun(word)
    stripped = _strip_plural_ha(word)
    if stripped == word:
        stripped = _strip_ezafe(word)
        stripped = _strip_plural_an_at(stripped)
    return _fold_final_he(_strip_comparative(stripped))


def _fold_final_he(word: str) -> str:
    # بیمه‌ای and بیم+های are both "بیمهای" once ZWNJ is gone: no rule can tell a stem ending
    # in silent ه plus ای from a plural های. Dropping the final ه of every stem makes both
    # readings meet (بیمه, بیمه‌ای, بیمه‌های -> بیم) at the cost of rare collisions (نامه/نام).
    return word[:-1] if word.endswith("ه") and len(word) > MIN_STEM else word


def _strip_verb_prefix(word: str) -> str:
    for prefix in ("نمی", "می"):
        rest = word[len(prefix):]
        if word.startswith(prefix) and len(rest) >= 2 and rest not in _MI_NOUNS:
            return rest
    # ب/ن (subjunctive/negative) only on a 3rd-person verb form, and never before ا/ی/ه/ر,
    # where the word is far more often a noun or the prefixes با-, بی-, به-, بر-, نا-.
    if (word[0] in "بن" and word[1] not in "ایهر" and word.endswith(_VERB_ENDINGS)
            and len(word) >= 5):
        return word[1:]
    return word


def _strip_pronoun(word: str) -> str:
    # After ه only (خانهاش, بیمهام): after a consonant the pronoun is a bare م/ت/ش, which
    # cannot be told from the stem's own letters.
    for suffix in _PRONOUNS:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and stem.endswith("ه") and len(stem) >= MIN_STEM and word not in _KEEP:
            return stem
    return word


def _strip_plural_ha(word: str) -> str:
    for suffix in _PLURAL_HA:
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= 2 and word not in _KEEP:
            return stem
    return word


def _strip_ezafe(word: str) -> str:
    # بیمهی / بیمهای -> بیمه; کارفرمای / نیروی -> کارفرما / نیرو. A ی after a consonant is
    # left alone: it makes adjectives and nouns (درمانی, بیکاری).
    if word.endswith("ای") and word[-3:-2] == "ه" and len(word) - 2 >= MIN_STEM:
        return word[:-2]
    if word.endswith("ی") and word[-2:-1] in "هاو" and len(word) - 1 >= MIN_STEM:
        return word[:-1]
    return word


def _strip_plural_an_at(word: str) -> str:
    if word in _KEEP:
        return word
    if word.endswith("گان") and len(word) - 3 >= MIN_STEM - 1:  # بیمهشدگان -> بیمهشده
        return word[:-3] + "ه"
    if word.endswith("یان") and word[-4:-3] in "او" and len(word) - 3 >= MIN_STEM:
        return word[:-3]  # کارفرمایان -> کارفرما, دانشجویان -> دانشجو
    for suffix in ("ان", "ات"):
        if word.endswith(suffix) and len(word) - 2 >= MIN_STEM:
            return word[:-2]
    return word


def _strip_comparative(word: str) -> str:
    for suffix in ("ترین", "تر"):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem) >= MIN_STEM and word not in _KEEP:
            return stem
    return word
