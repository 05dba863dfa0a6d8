"""Lines that are boilerplate on any site, removed from extracted main text.

Extractors keep them because they sit inside the article container: a "read also" label with a link to another
article, newsletter/follow/membership calls to action, affiliate disclosures, photo credits and captions. Written from the
false positives of trafilatura 2.3.1 on ../shared/data/web (181 pages, trafilatura's evaldata) and checked on our
own hand-picked snippets (examples/data/web/extraction_eval_own.json); see docs/curation.md "Extraction".
Patterns are multilingual (en, es, de, fr, pt, it, pl, ko) and apply only to short lines (a paragraph of prose
that merely mentions a newsletter is kept).
"""

from __future__ import annotations

import re

# a label that introduces a link to another article, at the start of a line
RELATED_LABEL = re.compile(
    r"""^\W*(read\ (more|also|next)|see\ also|related(\ (articles?|stories|posts|content))?|more\ on\ this|
    lea\ (también|tambien|más|mas|además)|lee\ (también|tambien|más)|(le|te)\ puede\ interesar|puedes\ ver|
    mir[aá]\ también|ver\ también|notas?\ relacionadas?|contenido\ relacionado|noticias\ relacionadas|
    lesen\ sie\ auch|auch\ interessant|mehr\ zum\ thema|siehe\ auch|
    (à\ |a\ )?lire\ aussi|voir\ aussi|sur\ le\ même\ sujet|
    leia\ (também|mais)|veja\ também|leggi\ anche|czytaj\ (też|także|również|więcej)|zobacz\ (też|także)|
    관련\ ?기사|함께\ 볼\ 만한\ 기사)\b\s*(?:[:：»›>\-–—]|$)""",
    re.IGNORECASE | re.VERBOSE,
)
# calls to action, disclosures and credits
CALL_TO_ACTION = re.compile(
    r"""(newsletter|sign\ up\ (to|for)|subscribe\ to\ our|never\ miss\ (the|a|an)\b|follow\ (us|the\ \w+)\ on|
    síguenos|únete\ (a|desde)|suscríbete|hazte\ miembro|abonnez-vous|inscrivez-vous|folgen\ sie\ uns|
    abonnieren\ sie|zapisz\ się|구독하기|뉴스레터|
    affiliate[\ -]links?|contains\ references\ to\ products|we\ recommend\ the\ best\ products|
    crédits?\ photos?\s*:|photo\ credit|image\ illustrative\s*:|bildquelle\s*:)""",
    re.IGNORECASE | re.VERBOSE,
)
# a photo caption: ends with its credit in parentheses, "(Foto: …)" or "(REUTERS/Name)"
CAPTION_CREDIT = re.compile(
    r"""\((?:(?:foto|fotos|photo|imagen|bild|crédit\ photo)\s*:[^()]*
    |(?:reuters|afp|ap|efe|dpa|getty\ images|shutterstock)\s*/[^()]*
    |[^()]*\bv[íi]a\s+(?:reuters|afp|ap|efe|dpa|getty\ images))\)\.?\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
MAX_LABEL_LINE = (
    200  # chars: "Read more: <headline>" lines; a longer line is prose that starts with these words
)
MAX_CTA_LINE = 300


def is_boilerplate_line(line: str) -> bool:
    s = line.strip()
    if not s:
        return False
    return bool(
        (len(s) <= MAX_LABEL_LINE and (RELATED_LABEL.match(s) or CAPTION_CREDIT.search(s)))
        or (len(s) <= MAX_CTA_LINE and CALL_TO_ACTION.search(s))
    )


def drop_boilerplate_lines(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if not is_boilerplate_line(line))
