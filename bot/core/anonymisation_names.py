"""Names the dictionary does not know: signals combined rather than patterns added.

- Latin script (with Vietnamese and other diacritics, ALL-CAPS, full-width letters after folding):
  a run of capitalised words that are not common words of the languages case notes are written in
  is a name; a run ending in a company or school word ("Green Leaf Foods Co., Ltd.", "Nishiki
  Elementary", "Toyohashi Kasei") is a workplace or a school. A single capitalised word is a name
  when a kinship word or title stands before it, and otherwise a name to check (要確認).
- Chat logs: the display name after a time stamp ("[12:03] Name: …", "19:02<TAB>Name<TAB>…").
- Letters and e-mails: "…の大塚でございます", "小池と申します", "ハンです。".
- Hangul, Devanagari and Chinese names by the cues of those languages (씨, 이름은, नाम, 他叫, 丈夫…).
- A person once found is found again bare later in the text (surname or given name alone).
- Historical figures named as references and job titles are not people to hide.

Works on the folded text (see ``bot.core.anonymisation``) and yields ``(kind, start, end, tier)``.
Words are found by one pass of simple character-class patterns and grouped in Python: linear time.
"""

from __future__ import annotations

import functools
import re
from typing import Iterable, Iterator

from bot.core.anonymisation_labels import speech_starts

CONFIDENT = "confident"
CHECK = "check"

_LATIN_LETTER = "A-Za-zÀ-ÖØ-öø-ɏḀ-ỿЀ-ӿ"  # Cyrillic too: capitalised words are names there as well
_LATIN_WORD = re.compile(r"(?<![" + _LATIN_LETTER + r"0-9'’])[" + _LATIN_LETTER + r"][" + _LATIN_LETTER
                         + r"'’]*(?:-[" + _LATIN_LETTER + r"]+)?\.?")

CHINESE_SURNAMES = ("王李張张劉刘陳陈楊杨黄黃趙赵周呉吴徐孫孙馬马朱胡郭何林高羅罗鄭郑梁謝谢宋唐許许韓韩馮冯鄧邓曹彭曾蕭萧董潘袁"
                    "蔡蒋蔣余杜葉叶程魏蘇苏呂吕丁沈姚盧卢姜崔鍾钟譚谭陸陆汪范金廖賈贾夏韋韦方鄒邹孟熊秦邱尹薛閻阎段雷侯龍龙"
                    "史陶黎賀贺顧顾毛郝龔龚邵錢钱武戴孔湯汤朴申権洪全文裵柳南河成車车禹具閔阮潘裴")

# Capitalised words that are ordinary words in the languages of case notes (English, Portuguese,
# Spanish, Tagalog, Vietnamese, romanised Nepali/Japanese) or that name places, days, services
# and institutions: never a person on their own. Kept to words seen capitalised in notes.
COMMON_WORDS = frozenset(w.lower() for w in """
a an the this that these those there here it its i i'm we our us you your he his him she her they their them my me
mine who what when where why how which if then than so and or but nor not no yes ok okay hi hello dear best kind
regards thanks thank please sincerely cheers subject re fw fwd from to cc bcc date sent note notes memo aviso notice
intake sheet form record log name address phone tel mobile email e-mail mail fax nationality employer reason visit
topic next steps place time date interpreter volunteer coordinator staff team hr manager director chief head officer
teacher doctor nurse student students child children mother father son daughter wife husband brother sister family
mr mrs ms miss dr prof sir madam maam called call could would should can will may might must shall did does do done
is are was were be been being have has had also still only just again after before at on in of for with by about
as into over under up down out off new old last first second third one two three four five six seven eight nine ten
grade class room floor building apartment block ward city town village prefecture district station hall center centre
office school elementary junior high university college hospital clinic company factory bank court police
immigration services agency bureau regional labour labor standards inspection council welfare social guidance support
consultation case study meeting group club community programme program course session training reading list
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september
october november december jan feb mar apr jun jul aug sep sept oct nov dec today tomorrow yesterday morning evening
night noon week month year day days holiday festival new year
japan japanese tokyo osaka kyoto nagoya sapporo sendai hiroshima fukuoka yokohama kobe saitama chiba kawasaki
vietnam vietnamese philippines filipino philippine brazil brazilian brasil nepal nepali nepalese india indian
indonesia indonesian china chinese korea korean peru peruvian thailand thai myanmar burmese sri lanka pakistan
bangladesh turkey turkish somalia nigeria kenya english portuguese spanish tagalog french german asia europe africa
america american london paris são paulo rio janeiro manila cebu davao maynila hanoi saigon lima londrina
line facebook instagram wechat whatsapp messenger zalo viber kakaotalk telegram skype twitter tiktok google zoom
fresc otit jitco pdf word excel npo dv jr id no nos tbd n/a am pm ceo cto it ai tet chuseok diwali tihar dashain ramadan eid
christmas easter rizal hello work
boa noite bom dia obrigado obrigada olá ola cliente marido esposa filho filha mãe pai telefone endereço assunto
orientação anotação atendimento natural de do da dos das em na no um uma que para por com sem meu minha seu sua
é e o os as ela ele eles elas foto escola
si ni ang mga sa ng kay nang ay numero pakitawagan ulit lunes memo tumawag anak asawa niya nila
ghi chú tư vấn chị anh em ông bà cô chú đang chồng số điện thoại quê sinh ngày và của có không là một nói
namaste didi mero ko ma ra ho cha pani
shogakko chugakko kuritsu shiritsu kenritsu okaasan otousan obaachan ojiichan oneesan oniisan sensei
kinou kyou ashita asatte ototoi ima mou mada demo dakara sorede soshite shikashi jaa watashi watashitachi boku ore
kore sore are kono sono ano doko dare nani itsu hai iie ee sumimasen gomen gomennasai arigatou arigatougozaimasu
onegaishimasu yoroshiku konnichiwa ohayou ohayougozaimasu konbanwa moshimoshi otsukaresama shitsurei desu masu
mashita deshita kudasai raishuu senshuu konshuu shuumatsu kotoshi rainen kyonen raigetsu sengetsu kongetsu tanjoubi
imouto otouto haha chichi musuko musume otto tsuma kazoku kodomo tomodachi shigoto kaisha gakkou byouki okane
zenbu minna mazu tabun zettai chotto sukoshi totemo
international exchange association society foundation committee network union federation organisation organization
ministry government department section division unit national public private general memorial
japão ano novo mula tiệc tết thông báo nhiều lưu ý thành phố nội hà đà nẵng hồ chí minh nghệ an việt nhật bản gunma
ōta cộng đồng người lunch bring dates wednesdays tuesdays mondays thursdays fridays weekends disyembre magkakaroon
follow-up forwarded message spanish-speaking igbo msw cw sw psw ssw ob og reply original attached attachment regarding
summary points point client numbers foreign clients medical education residence resident residents number individual permanent
long-term specified skilled worker workers act law lives life status visa card insurance health pension tax
income child allowance benefit benefits contract employment dismissal wage wages overtime salary payment rent housing
household background issue issues problem problems request action actions plan follow outcome result results
question questions answer answers dob birth age sex gender male female spouse dependent dependents technical intern
trainee trainees engineer specialist humanities international services designated activities student college
english-speaking japanese-speaking first-aid emergency ambulance police station hospitalisation hospitalization
""".split())
# Kinship words and titles: a capitalised word right after one is a person.
_CUE_BEFORE = frozenset(w.lower() for w in """
mr mrs ms miss mx dr prof son daughter wife husband brother sister mother father mom dad child baby boyfriend
girlfriend partner fiancé fiancée cousin uncle aunt friend landlord colleague boss called named
filho filha esposa marido irmão irmã mãe pai amigo amiga
si ni kay ate kuya tita tito lola lolo
chị anh em ông bà cô chú bạn
муж жена сын дочь мама папа брат сестра подруга друг зовут господин госпожа
""".split())
# A run ending in one of these is a workplace; in SCHOOL_WORDS a school.
_FACILITY_WORDS = frozenset("""co co. ltd ltd. inc inc. corp corp. llc gmbh company foods food works trading logistics
    factory plant hospital clinic kasei denshi seimitsu kensetsu kogyo kougyou seisakusho shoji sangyo unyu butsuryu
    shokuhin suisan parts precision spice halal restaurant cafe café bakery store shop mart market hotel farm
    transport express motors industries industry manufacturing home church fellowship parish union staff mosque temple
    masjid ministries koujou kojo kōjō geka naika shika byouin byoin iin kurinikku keisatsusho hoikuen famima relax
    kitchen salon""".split())
# A school's type word that comes first, as in Portuguese and Spanish: "Colegio Municipal Higashi-Kōyō".
# A workplace's or a place of worship's type word that comes first: "Masjid Al-Ikhlas Toyohashi", "Igreja Evangélica
# Nova Vida", "Taller Mecánico Hermanos Tamashiro", "Transportadora Irmãos Rocha".
_FACILITY_FIRST = frozenset("""masjid mesjid igreja iglesia templo wat pagoda gurdwara taller transportadora restaurante
    restaurant tienda loja mercado mercearia padaria panadería panaderia pousada fábrica fabrica oficina empresa
    comercial construtora constructora clínica clinica farmacia farmácia hotel salão salon""".split())
_SCHOOL_FIRST = frozenset("colegio colégio escola escuela instituto universidad universidade université école scuola".split())
_SCHOOL_WORDS = frozenset("""elementary school academy university college kindergarten institute shogakko
    chugakko shougakkou chuugakkou koko koukou kotogakko""".split())
_SCHOOL_TAILS = ("Junior High School", "Junior High", "Senior High School", "High School", "Secondary School",
                 "Primary School", "Elementary School")

# Romanised Japanese writes a long vowel as ou, oo, uu, ō or ū, or not at all (shougakkou, shōgakkō,
# shogakko; kougyou, kōgyō): type words are compared with their long vowels written short.
_LONG_VOWELS = str.maketrans("āēīōūâêîôû", "aeiouaeiou")


@functools.lru_cache(maxsize=4096)  # pure; the same words recur
def _short_vowels(word: str) -> str:
    return re.sub(r"ou|oo|uu|ii|aa|ee", lambda m: m.group()[0], word.translate(_LONG_VOWELS))


# (a key of two letters would be an ordinary word: iin → in)
def _keys(words: Iterable[str]) -> frozenset[str]:
    return frozenset(words) | frozenset(k for k in map(_short_vowels, words) if len(k) > 3)


_FACILITY_KEYS = _keys(_FACILITY_WORDS)
_SCHOOL_KEYS = _keys(_SCHOOL_WORDS)
# Romanised Japanese type words, often written in lowercase after the capitalised name: "Homi Higashi shougakko".
_ROMAJI_SCHOOL_KEYS = _keys("shogakko chugakko koko kotogakko gakko yochien daigaku nihongo-gakko".split())
_ROMAJI_FACILITY_KEYS = _keys("""kasei denshi seimitsu kensetsu kogyo seisakusho shoji sangyo unyu butsuryu shokuhin
    suisan kojo geka naika shika byoin iin kurinikku keisatsusho hoikuen""".split())
_ROMAJI_TYPE_AFTER = re.compile(r" (?P<type>[a-zāēīōū]+(?:-[a-zāēīōū]+)?)(?![" + _LATIN_LETTER + r"])")


# Capitalised words in running text: the words of one run are separated by one space, or by ", "
# when the first is all capitals ("DELA CRUZ, Ramon").
def _latin_runs(folded: str) -> Iterator[list[re.Match]]:
    run: list[re.Match] = []
    for match in _LATIN_WORD.finditer(folded):
        word = match.group()
        capitalised = word[0].isupper() or word.lower() in ("de", "da", "dos", "van", "von", "bin", "binti", "la")
        if run and capitalised:
            gap = folded[run[-1].end():match.start()]
            last = run[-1].group()
            sentence_end = (last.endswith(".") and len(last) > 2 and not last[:-1].isupper()
                            and last[:-1].lower() not in ("mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "mt"))
            if not sentence_end and (gap in (" ", "&", " & ")
                                     or (gap == ", " and run[-1].group().isupper() and len(run) <= 3)):
                run.append(match)
                continue
        if run:
            yield run
        run = [match] if word[0].isupper() else []
    if run:
        yield run


# Common words that are also given names: inside a run of name words they are part of the name
# ("May Zin Htun", "Grace Wanjiru"), alone they are the word.
_NAMEABLE = frozenset("may june april august joy grace faith hope rose mark will ate kuya".split())


_ORGANISATION_WORDS = frozenset("""bank agency office association services service bureau hall center centre city ward
    prefecture university ministry council committee society foundation union network department section division
    government court station police embassy consulate church temple mosque shrine project programme program day
    festival holiday""".split())


def _is_common(word: str) -> bool:
    lowered = re.sub(r"['’]s$", "", word.lower().rstrip("."))
    kin = re.match(r"(.+)-(?:san|chan|sama|kun|sensei)$", lowered)  # "Okaa-san", "Obaa-chan"
    if kin and kin.group(1) in _ROMAJI_KIN_AND_ROLES:
        return True
    return lowered in COMMON_WORDS or (lowered.endswith("s") and lowered[:-1] in COMMON_WORDS)


def _sentence_start(folded: str, start: int) -> bool:
    before = folded[max(0, start - 3):start].rstrip(" ")
    return not before or before[-1] in ".!?\n:：\"“「（(>—-–・]│\t"


def _latin_place(folded: str, run: list[re.Match], words: list[str], lowered: list[str], start: int,
                 end: int) -> tuple[str, int, int, str] | None:
    """A run of Latin words naming a workplace or a school, or None."""
    text = folded[start:end]
    after = _ROMAJI_TYPE_AFTER.match(folded, end, end + 24)
    if after and not all(_is_common(w) for w in words):
        key = _short_vowels(after.group("type"))
        if key in _ROMAJI_SCHOOL_KEYS or key in _ROMAJI_FACILITY_KEYS:
            return "school" if key in _ROMAJI_SCHOOL_KEYS else "facility", start, after.end(), CONFIDENT
    # A workplace or school: a type word after at least one other word, or "&" in the run.
    keys = [_short_vowels(w) for w in lowered]
    type_at = next((i for i, w in enumerate(keys) if i > 0 and (w in _FACILITY_KEYS or w in _SCHOOL_KEYS)), -1)
    if type_at > 0 or ("&" in text and len(run) >= 2 and all(len(w) >= 2 for w in words)):
        tail = folded[end:end + 12]
        legal = re.match(r",? ?(?:Co\.,? ?Ltd\.|Co\.|Ltd\.|Inc\.|Corp\.|LLC)", tail)
        if legal:
            end += legal.end()
        shop = re.match(r" ?[一-龥]{1,4}(?:店|工場|支店)", folded[end:end + 8])
        if shop:
            end += shop.end()
        if not all(_is_common(w) for w in words[:max(type_at, 1)]):
            kind = "school" if any(w in _SCHOOL_KEYS for w in keys) else "facility"
            # "Junior High" and "High School" end a school name that the loop did not see as a type
            return kind, start, end, CONFIDENT
    if lowered[0] in _SCHOOL_FIRST and len(run) >= 2:
        return "school", start, end, CONFIDENT
    if lowered[0] in _FACILITY_FIRST and len(run) >= 2 and not all(_is_common(w) for w in words[1:]):
        legal = re.match(r",? ?(?:S\.A\.C\.|S\.A\.|S\.R\.L\.|Ltda\.?|LTDA|E\.I\.R\.L\.|\(Pvt\) Ltd\.?|Pvt\.? Ltd\.?"
                         r"|Sdn\.? Bhd\.?)", folded[end:end + 14])
        if legal:
            end += legal.end()
        elif len(run) > 2 and re.fullmatch(r"[A-Z]\.", run[-1].group()):
            # the run took the legal form's first letter as an initial: "… Tamashiro S.A.C."
            legal = re.match(r"S\.A\.C\.|S\.A\.|S\.R\.L\.", folded[run[-1].start():run[-1].start() + 8])
            if legal:
                end = run[-1].start() + legal.end()
        return "facility", start, end, CONFIDENT
    if any(text.endswith(tail) for tail in _SCHOOL_TAILS) and len(run) > 2:
        return "school", start, end, CONFIDENT
    return None


def _latin_names(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for run in _latin_runs(folded):
        words = [m.group().rstrip(".") if not m.group().endswith(("Co.", "Ltd.", "Inc.", "Corp.")) else m.group()
                 for m in run]
        # Lowercase joiners at the ends belong to no name.
        while run and not run[-1].group()[0].isupper():
            run.pop()
            words.pop()
        if not run:
            continue
        start, end = run[0].start(), run[-1].end()
        lowered = [w.lower() for w in words]
        place = _latin_place(folded, run, words, lowered, start, end)
        if place is not None:
            yield place
            continue
        names = [i for i, w in enumerate(words) if not _is_common(w) and len(w) > 1]
        if not names:
            continue
        # A given name that is also a word, right before a name word, belongs to the name.
        while names[0] > 0 and words[names[0] - 1].lower() in _NAMEABLE:
            names.insert(0, names[0] - 1)
        # Trim common words at both ends of the run ("Called Grace Wanjiru" → "Grace Wanjiru").
        first, last = names[0], names[-1]
        inside = [w for w in words[first:last + 1] if _is_common(w) and w.lower() not in _NAMEABLE]
        if (len(inside) * 2 > last - first + 1
                or any(w.lower().rstrip(".") in _ORGANISATION_WORDS for w in words)):
            # Mostly common words, or an institution ("Nepal Investment Mega Bank"): no name.
            continue
        # Initials before the name words are part of the name ("K. Morioka", "L. D. Mudiyanselage").
        while first > 0 and re.fullmatch(r"[A-Z]\.", run[first - 1].group()):
            first -= 1
        start, end = run[first].start(), run[last].end()
        if folded[end - 1] == "." and not re.fullmatch(r"[A-Z]\.(?:[A-Z]\.)*", folded[run[last].start():end]):
            end -= 1
        count = last - first + 1
        initials = re.match(r" ?(?:[A-Z]\.){1,3}", folded[end:end + 7])
        if initials and folded[end - 1] != ".":
            end += initials.end()
            count += 1  # "Sabina K.C."
        # A capitalised common word right after the name words is part of it ("Jessica Lima").
        if (last + 1 < len(words) and words[last + 1][0].isupper() and len(words[last + 1]) >= 4
                and words[last + 1].lower() not in _ORGANISATION_WORDS and not initials):
            end = run[last + 1].end()
            count += 1
        before_word = words[first - 1].lower() if first > 0 else _word_before(folded, start)
        if count >= 2 or before_word in _CUE_BEFORE:
            yield "person_name", start, end, CONFIDENT
        elif folded[end:end + 3].lstrip().startswith(("さん", "様", "氏", "ちゃん", "くん", "先生")):
            yield "person_name", start, end, CONFIDENT
        elif not _sentence_start(folded, start) and not folded[end:end + 2].startswith(("'s", "’s", ":")):
            # One capitalised word inside a sentence: a name or a word of a language we do not list.
            yield "person_name", start, end, CHECK


# A romanised Japanese honorific after a word makes it a person ("Yamamoto sensei", "Kimura-san"), unless the
# word is a kin or a role (okaa-san, isha-san, tannin no sensei); a lowercase word is one to check.
_ROMAJI_HONORIFIC = re.compile(r"(?<![" + _LATIN_LETTER + r"'’\-])(?P<name>[" + _LATIN_LETTER + r"]{2,}(?:-[A-Z][a-z]+)?)"
                               r"[ \-](?:san|sama|sensei|kun|chan|senpai)(?![" + _LATIN_LETTER + r"])")
_ROMAJI_KIN_AND_ROLES = frozenset("""okaa otou obaa ojii oba oji onee onii nee nii ane ani isha oisha haisha tannin
    kouchou kocho koucho kyoutou kangoshi bengoshi omawari tenin tenchou tencho shachou shacho buchou bucho kachou
    kacho ooya oya minna mina anata kanojo kare okyaku kyaku untenshu eigo nihongo suugaku sugaku ongaku taiiku
    kokugo juku piano aka ojou obou no wa ga to ni de mo""".split())


def _romaji_honorific_names(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _ROMAJI_HONORIFIC.finditer(folded):
        name = match.group("name")
        if name.lower() in _ROMAJI_KIN_AND_ROLES or _is_common(name):
            continue
        yield "person_name", match.start("name"), match.end("name"), CONFIDENT if name[0].isupper() else CHECK


def _word_before(folded: str, start: int) -> str:
    match = re.search(r"([" + _LATIN_LETTER + r"]+)[ ,]*$", folded[max(0, start - 20):start])
    return match.group(1).lower() if match else ""


# --- romanised Japanese school names ("Ota kuritsu Kamata Minami shogakko", "Higashi-Hamamatsu shogakko")
_ROMAJI_SCHOOL = re.compile(
    r"(?<![A-Za-z])[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?(?: [A-Za-z]+(?:-[A-Za-z]+)?){0,4}? "
    r"(?:sh[oō]u?gakk[oō]u?|ch[uū]u?gakk[oō]u?|k[oō]u?k[oō]u?|k[oō]u?t[oō]u?gakk[oō]u?|hoikuen|y[oō]u?chien)(?![a-z])")
_ROMAJI_PARTICLE = re.compile(r" (?:wa|ga|wo|o|no|ni|de|e|to|mo|kara|made|ya) ")


# --- chat display names -------------------------------------------------------------------------
# "[2024/10/30 22:15] Name: …", "2024-11-12 10:03 刘芳：…", "19:02<TAB>Name<TAB>…", "[11/3/24, 7:48 PM] Name: …",
# "15:20 Mark：…", "＜Nok＞ 13:40 …", "이지훈 오후 3:12".
_TIME = r"[0-9]{1,2}:[0-9]{2}(?: ?[AP]M)?"
_STAMP = (r"(?:\[?(?:[0-9]{2,4}[/\-.][0-9]{1,2}[/\-.][0-9]{1,4}(?:\([^)\n]{1,3}\))?,? )?" + _TIME + r"\]?)")
_CHAT_LINE = re.compile(r"^[ \t]*" + _STAMP + r"[ \t]+(?P<speaker>[^\t\n:：\]]{1,40}?)[ \t]*(?:[:：]|\t)", re.MULTILINE)
_CHAT_BRACKET = re.compile(r"^[ \t]*[＜<](?P<speaker>[^＞>\n]{1,30})[＞>][ \t]*" + _TIME, re.MULTILINE)
_CHAT_KO = re.compile(r"^[ \t]*(?P<speaker>[^\n]{1,30}?) (?:오전|오후) " + _TIME + r"[ \t]*$", re.MULTILINE)
_ROLE_IN_SPEAKER = re.compile(r"^(?:相談員|通訳|支援員|職員|センター|担当|記録者|ボランティア|先生|Staff|Interpreter"
                              r"|Coordinator|Counsellor|Counselor|Volunteer)[ 　]*(?:通訳|相談員)?[ 　]*")
# ("bot" and "system" as words of their own: "abbott_k" is a person's handle)
_NOT_A_SPEAKER = re.compile(r"公式|センター|事務局|協会|相談員$|通訳$|^相談員|(?<![A-Za-z])(?:bot|Bot|BOT|system|System)(?![a-z])"
                            r"|スタンプ|You$|自分")
_SPEAKER_TIME_LINE = re.compile(r"^[ \t]*(?P<speaker>[A-Za-zÀ-ÖØ-öø-ɏ][A-Za-zÀ-ÖØ-öø-ɏ0-9._\-]*(?: [A-Za-zÀ-ÖØ-öø-ɏ][A-Za-z"
                                r"À-ÖØ-öø-ɏ.]*){0,2})[ \t]+" + _TIME + r"[ \t]*$", re.MULTILINE)
# "11/11 21:30 松下" then the message on the next line (SMS and LINE pasted from a phone): a line of a stamp
# and a speaker alone. A timetable has such lines too ("9:30 開会"), but a log names each speaker again:
# read as speakers only when two of them each head two lines or more.
_TIME_SPEAKER_LINE = re.compile(r"^[ \t]*\[?(?:(?:[0-9]{2,4}[/\-.])?[0-9]{1,2}[/\-.][0-9]{1,2}(?:\([^)\n]{1,3}\))?,? )?"
                                + _TIME + r"\]?[ \t]+(?P<speaker>[^\t\n:：\]\[()（）]{1,30}?)[ \t]*$", re.MULTILINE)
_SCHEDULE_WORD = re.compile(r"(?:休憩|昼食|食事|開会|閉会|開始|終了|受付|移動|集合|解散|説明|講演|質疑|挨拶|あいさつ|交流|発表|練習"
                            r"|準備|片付け|会議|面談|面接|相談|予約|送迎|入浴|就寝|起床|朝食|夕食|散歩|体操|掃除|会|式)$"
                            r"|(?i:^(?:break|lunch|dinner|breakfast|opening|closing|start|end|meeting|talk|q&a)$)")
_MESSENGER_NAME = re.compile(r"^(?P<name>[A-ZÀ-Ý][^\n]{2,40})\n(?:[a-zç]{3}\.,|[0-9]{1,2}:[0-9]{2}$)", re.MULTILINE)


def _chat_speakers(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for pattern in (_CHAT_LINE, _CHAT_BRACKET, _CHAT_KO):
        for match in pattern.finditer(folded):
            start, end = match.start("speaker"), match.end("speaker")
            speaker = folded[start:end]
            role = _ROLE_IN_SPEAKER.match(speaker)
            if role:
                start += role.end()
                speaker = folded[start:end]
            paren = re.fullmatch(r"[（(](.{1,20})[）)]", speaker)
            if paren:
                start, end = start + 1, end - 1
                speaker = folded[start:end]
            speaker = speaker.strip()
            if (not speaker or _NOT_A_SPEAKER.search(speaker) or re.search(r"[0-9@。、]", speaker)
                    or len(speaker) > 30):
                continue
            end = start + len(speaker)
            yield "person_name", start, end, CONFIDENT
    # "yuki.hamada  10:12", "Rina S. 9:08": a line holding only a speaker and the time (Slack, Teams and
    # Messenger pasted), when the text has at least two such lines, so it is a log and not a timetable.
    speaker_lines = list(_SPEAKER_TIME_LINE.finditer(folded))
    if len(speaker_lines) >= 2:
        for match in speaker_lines:
            speaker = match.group("speaker")
            words = speaker.replace(".", " ").replace("_", " ").split()
            # a handle ("boa_a", "sol.mar") is one token joined by "_" or ".", whatever its words
            handle = re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:[._][A-Za-z0-9]+)+", speaker) is not None and len(speaker) >= 5
            if (handle or not all(_is_common(w) for w in words)) and not _NOT_A_SPEAKER.search(speaker):
                yield "person_name", match.start("speaker"), match.end("speaker"), CONFIDENT
    heads: dict[str, list[re.Match]] = {}
    for match in _TIME_SPEAKER_LINE.finditer(folded):
        # the message follows on the next line; a timetable's next line is often the next time
        following = folded[match.end() + 1:match.end() + 41].split("\n", 1)[0].strip()
        if following and not _TIME_SPEAKER_LINE.match(following) and not re.match(r"\[?[0-9]{1,4}[/:\-.]", following):
            heads.setdefault(match.group("speaker"), []).append(match)
    speakers = [s for s, lines in heads.items() if len(lines) >= 2 and not _NOT_A_SPEAKER.search(s)
                and not _SCHEDULE_WORD.search(s)
                and not re.search(r"[0-9@。、!?！？]", s) and len(s.split()) <= 3 and not is_not_a_person(s)
                and not all(_is_common(w) for w in s.split())]
    if len(speakers) >= 2:
        for speaker in speakers:
            # a Japanese word heading lines may still be an activity ("9:00 見学"): one to check, unless
            # the person is named elsewhere (found again from there)
            tier = CHECK if _JAPANESE_LETTER.search(speaker) else CONFIDENT
            for match in heads[speaker]:
                yield "person_name", match.start("speaker"), match.end("speaker"), tier
    for match in _MESSENGER_NAME.finditer(folded):
        name = match.group("name").strip()
        if len(name.split()) >= 2 and not any(_is_common(w) for w in name.split()):
            yield "person_name", match.start("name"), match.start("name") + len(name), CONFIDENT


# --- letters and e-mails ------------------------------------------------------------------------
_LETTER_SELF = re.compile(
    r"(?:の|、|。|^|\s)(?P<name>[一-龥々]{1,4}|[ァ-ヴー]{2,8}|[ぁ-ん]{2,5})(?: ?[一-龥々]{1,3})?"
    r"(?:でございます|と申します|です(?=[。、！!]))", re.MULTILINE)
_NOT_SELF = re.compile(r"(?:課|係|部|室|局|所|署|院|会|団|庁|担当|事務|件|方|予定|問題|必要|大丈夫|以上|結構|本人|相談"
                       r"|確認|本日|今日|明日|昨日|今回|次回|前回|時間|状況|通り|とおり|はず|こと|もの|ため|よう|そう"
                       r"|ところ|ばかり|だけ|まで|から|など|さん|様|者|員|長|任|師|後|前|的|用|名|方々)$")
_NAME_AFTER_TITLE = re.compile(r"(?:^|\s)(?:MSW|支援員|相談員|社労士|保健師|行政書士|弁護士|社会福祉士|精神保健福祉士|司法書士|税理士|医師|看護師|通訳|教務"
                               r"|担任|校長|院長|所長|理事長|代表|主任|係長|課長|部長)[ 　]+(?P<name>[一-龥々]{1,3} [一-龥々]{1,3})"
                               r"(?=\s|$|（|\()", re.MULTILINE)


_ROLE_THEN_NAME = re.compile(
    r"(?:担任|副担任|主治医|担当医|担当|医師|弁護士|教諭|校長|教頭|相談員|通訳|ボランティア|ケースワーカー|社長|上司|店長"
    r"|カウンセラー|ソーシャルワーカー|ケアマネ|ケアマネジャー|保健師|看護師|助産師|大家|家主)"
    r"(?P<name>[一-龥々]{2,3}|[ァ-ヴー]{2,8})(?=先生|医師|さん|氏|様|弁護士|教諭)")
_NAME_TOLD = re.compile(r"(?:なまえ|名前|おなまえ)(?:は|：|:)? ?(?P<name>[ァ-ヴー]{2,12}(?:[・＝=][ァ-ヴー]{1,12}){0,3}"
                        r"|[A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+){0,3})")
_SPACED_CHINESE = re.compile(r"(?<![一-龥ぁ-んァ-ヴー])(?P<name>[" + CHINESE_SURNAMES + r"] [一-龥]{1,2})"
                             r"(?=様|さん|氏|女士|先生|君|ちゃん|くん|（|\(|$|\s|、|，)", re.MULTILINE)
_ALIAS = re.compile(r"以下[、,]?[「『]?(?P<name>[ァ-ヴー]{2,12}|[一-龥々]{2,4}|[A-Z][A-Za-z]+)[」』]?(?=[）)、。]|と呼ぶ)")


# A list of people: "・Aung Ko Ko：LINE…", "・이수민：카카오톡…", "・王 磊：微信…".
_LISTED_PERSON = re.compile(r"^[ \t]*[・\-*•][ \t]*(?P<name>[A-Za-zÀ-ɏḀ-ỿ.]+(?: [A-Za-zÀ-ɏḀ-ỿ.]+){1,3}|[가-힣]{2,4}"
                            r"|[一-龥]{1,2} [一-龥]{1,2})[ \t]*[:：]", re.MULTILINE)


# A heading or a scanned form spaced letter by letter ("多 文 化 フ ェ ス タ", "保 護 命 令 申 立 書"): one space
# between any two characters says nothing of a name there. Five characters or more so spaced make such a run.

def letter_spaced(folded: str, start: int, end: int) -> bool:
    """Whether folded[start:end] lies in a run of five or more characters each one space apart."""
    lo = start
    while lo >= 2 and start - lo < 16 and folded[lo - 1] == " " and not folded[lo - 2].isspace() \
            and (lo < 3 or folded[lo - 3].isspace()):
        lo -= 2
    hi = end
    while hi + 1 < len(folded) and hi - end < 16 and folded[hi] == " " and not folded[hi + 1].isspace() \
            and (hi + 2 >= len(folded) or folded[hi + 2].isspace()):
        hi += 2
    return all(len(part) == 1 for part in folded[lo:hi].split(" ")) and folded[lo:hi].count(" ") >= 4


def _letter_names(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _LETTER_SELF.finditer(folded):
        name = match.group("name")
        whole = re.sub(r"(?:でございます|と申します|です)$", "", match.group()[1:] if match.start("name") > match.start()
                       else match.group()).strip()
        if _NOT_SELF.search(whole) or _NOT_SELF.search(name) or len(name) < 2 and not re.match(r"[一-龥]", name):
            continue
        formal = "ございます" in match.group() or "申します" in match.group()
        if not formal and re.fullmatch(r"[ぁ-ん]+", name):
            continue
        yield "person_name", match.start("name"), match.start("name") + len(name), CONFIDENT if formal else CHECK
    for pattern in (_NAME_AFTER_TITLE, _ROLE_THEN_NAME, _NAME_TOLD, _SPACED_CHINESE, _ALIAS, _LISTED_PERSON):
        for match in pattern.finditer(folded):
            if match.group("name") in ("先生", "さん") or is_not_a_person(match.group("name")):
                continue
            end = match.end("name")
            if pattern is _SPACED_CHINESE:
                if letter_spaced(folded, match.start("name"), end):
                    continue
                end -= folded[end - 1] in "様氏君"  # "陳 偉様"
            yield "person_name", match.start("name"), end, CONFIDENT


# --- Hangul, Devanagari and Chinese cues ----------------------------------------------------------
_HANGUL_NAME = re.compile(r"(?<![가-힣])(?P<name>[가-힣]{2,4})(?= ?(?:씨|님|선생님|군|양)(?![가-힣]))")
_HANGUL_TOLD = re.compile(r"이름은 (?P<name>[가-힣]{2,4}?)(?:이고|이에요|예요|입니다|이다|이야)")
_DEVANAGARI_WORD = r"[\u0900-\u097F]+"
_DEVANAGARI_TOLD = re.compile(r"नाम (?P<name>" + _DEVANAGARI_WORD + r"(?: " + _DEVANAGARI_WORD + r"){0,3}?) (?:हो|हुँ|हुन्)")
_DEVANAGARI_KIN = re.compile(r"(?:श्रीमती|श्रीमान|छोरा|छोरी|बुबा|आमा|दाइ|दिदी|भाइ|बहिनी) (?P<name>" + _DEVANAGARI_WORD + r")")
_DEVANAGARI_COMMON = frozenset("बिरामी अस्पताल पनि धेरै एकदम".split())
_CHINESE_CUED = re.compile(
    r"(?:丈夫|妻子|太太|孩子|儿子|兒子|女儿|女兒|老公|老婆|母亲|父亲|他叫|她叫|我叫|名叫|叫做)(?P<name>[" + CHINESE_SURNAMES
    + r"][一-龥]{1,2}?)(?=[在是，,。的、和（(说說])"
    r"|(?:姓)(?P<surname>[" + CHINESE_SURNAMES + r"])(?=[。，,、）)])")


_HANGUL_COMMON = frozenset("선생 사장 부장 과장 어머 아버 할머 할아버 아주머 언니 오빠 누나 형 동생 여러분 손 환자 기사".split())


def _script_names(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for pattern in (_HANGUL_NAME, _HANGUL_TOLD, _DEVANAGARI_TOLD):
        for match in pattern.finditer(folded):
            if match.group("name") in _HANGUL_COMMON:
                continue
            yield "person_name", match.start("name"), match.end("name"), CONFIDENT
    for match in _DEVANAGARI_KIN.finditer(folded):
        if match.group("name") not in _DEVANAGARI_COMMON:
            yield "person_name", match.start("name"), match.end("name"), CONFIDENT
    for match in _CHINESE_CUED.finditer(folded):
        group = "name" if match.group("name") else "surname"
        yield "person_name", match.start(group), match.end(group), CONFIDENT


# --- names in any other script -------------------------------------------------------------------
# A run of words in a script that is neither Japanese nor Latin (Hangul, Thai, Arabic, Devanagari,
# Myanmar, Khmer, Sinhala…) is a name when a person cue stands beside it, in Japanese or in its own
# language: an honorific after it (さん, 様, 씨), a kinship word or a name label before it (娘, お母さんの,
# 氏名：, 署名, 本人：, मेरो नाम, ชื่อ, اسمي, နာမည်), its reading in katakana in brackets after it, or a chat
# speaker's place at a line's start (before ":" or a time). Set alone inside a Japanese sentence, with
# no cue, it is a name to check (要確認): a word of another language is rarely written there unquoted.
OTHER_SCRIPTS = ("\uac00-\ud7a3"  # Hangul syllables
                 "\u0e01-\u0e4e"  # Thai
                 "\u0e81-\u0ecd"  # Lao
                 "\u0620-\u065f\u066e-\u06d3\u06fa-\u06ff"  # Arabic, Persian, Urdu (digits are folded)
                 "\u05d0-\u05ea"  # Hebrew
                 "\u0900-\u0963\u0971-\u097f"  # Devanagari
                 "\u0980-\u09e3\u09f0-\u09fe"  # Bengali
                 "\u0b80-\u0be5"  # Tamil
                 "\u0d80-\u0df4"  # Sinhala
                 "\u1000-\u103f\u1050-\u109f"  # Myanmar (without its digits and punctuation)
                 "\u1780-\u17d3"  # Khmer
                 "\u10a0-\u10ff"  # Georgian
                 "\u1200-\u135a"  # Ethiopic
                 "\u1820-\u1878"  # Mongolian
                 "\u200c\u200d")  # joiners inside Arabic and Indic words
_SCRIPT_WORD = "[" + OTHER_SCRIPTS + "]+"
_SCRIPT_RUN = re.compile("(?<![" + OTHER_SCRIPTS + "])" + _SCRIPT_WORD + "(?: " + _SCRIPT_WORD + "){0,3}(?![" + OTHER_SCRIPTS + "])")
# Cues in Japanese (and English labels) right before the run, on its line.
_JA_CUE_BEFORE = re.compile(
    r"(?:氏名|お?名前|本名|通称名?|署名|本人|保護者|申請者|相談者|申立人|ニックネーム|表示名|(?i:name)|"
    r"長男|長女|次男|次女|三男|三女|息子(?:さん)?|娘(?:さん)?|妻|夫|奥さん|ご主人|旦那さん|お?母(?:さん|親)?|お?父(?:さん|親)?"
    r"|兄|姉|弟|妹|祖母|祖父|孫|配偶者|婚約者|彼氏|彼女|友人|友達|同僚|上司|通訳)"
    r"(?:の|は|が|と|[:：]|[（(][^）)\n]{0,8}[）)])?[ \t]*$")
_JA_CUE_AFTER = re.compile(r"[ \t]*(?:さん|様|さま|氏|くん|君|ちゃん|先生|씨|님|[（(](?:[ァ-ヴー・=＝ ]{2,}|[0-9]{1,3}歳?)[）)、,])")
# The languages' own cues: a title or kinship word before, or a name told ("my name is").
_NATIVE_CUE_BEFORE = re.compile(
    r"(?:이름은|아내|남편|아들|딸|어머니|아버지"  # Korean
    r"|ชื่อ|คุณ|นาย|นางสาว|นาง|ลูกสาว|ลูกชาย|สามี|ภรรยา"  # Thai
    r"|اسمي|اسمه|اسمها|السيد|السيدة|زوجي|زوجتي|ابني|ابنتي|أمي|أبي"  # Arabic
    r"|नाम|श्रीमती|श्रीमान|छोरा|छोरी|बुबा|आमा|दाइ|दिदी|भाइ|बहिनी"  # Nepali
    r"|နာမည်|ဦး|ဒေါ်|မောင်|သမီး|သား|ခင်ပွန်း|ဇနီး|အမေ|အဖေ"  # Burmese
    r"|ឈ្មោះ|លោក|លោកស្រី"  # Khmer
    r"|නම)[ \t]?$")  # Sinhala
# Words after a name in its own language that are not part of it ("… ပါ", "… हो", "… ครับ").
_SCRIPT_PARTICLES = frozenset("ပါ ဖြစ်ပါတယ် हो हुँ हुन् छ ครับ ค่ะ คะ นะ 입니다 이에요 예요 씨 님 오전 오후".split())
_QUOTE_BEFORE = "「『\"“'‘"
_JAPANESE_LETTER = re.compile(r"[ぁ-んァ-ヴー一-龥々]")
_CHAT_OR_LIST_START = re.compile(r"[ \t]*(?:[・\-*•][ \t]*|\[?[0-9/:\-., ]{4,24}\]?[ \t]+)?")
_SPEAKER_END = re.compile(r"[ \t]*(?:[:：]|(?:오전|오후|午前|午後)? ?[0-9]{1,2}:[0-9]{2}[ \t]*$)")
_NOT_SCRIPT_NAMES = frozenset("오전 오후".split())
_HANGUL_SENTENCE_END = re.compile(r"(?:요|다|까|죠|네|세요)$")


def _script_runs(folded: str) -> Iterator[tuple[str, int, int, str]]:
    runs = list(_SCRIPT_RUN.finditer(folded))
    speech = speech_starts(folded) if runs else frozenset()
    for index, match in enumerate(runs):
        words = match.group().split(" ")
        start = match.start()
        # A cue inside the run ("ကျွန်တော့်နာမည် ဝင်းထက်နိုင်", "मेरो नाम राम"): the name is what follows it.
        told = next((i for i in range(len(words) - 1, -1, -1)
                     if _NATIVE_CUE_BEFORE.search(words[i] + " ") and i + 1 < len(words)), None)
        if told is not None:
            start += len(" ".join(words[:told + 1])) + 1
            words = words[told + 1:]
        while words and words[-1] in _SCRIPT_PARTICLES:
            words.pop()
        if not words or all(w in _NOT_SCRIPT_NAMES for w in words):
            continue
        end = start + len(" ".join(words))
        # The line around the run, read at most 200 characters either side: linear however long the line.
        line_start = folded.rfind("\n", max(0, start - 200), start) + 1 or max(0, start - 200)
        line_end = folded.find("\n", end, end + 200)
        line_end = min(len(folded), end + 200) if line_end == -1 else line_end
        before = folded[max(line_start, start - 16):start]
        after = folded[end:min(line_end, end + 16)]
        # Every cue before ends in a kanji, katakana, its own script or one of these kana: a run after
        # other kana ("あ 가 あ 가…") is looked at no further for one.
        last = before.rstrip(" \t")[-1:]
        cue_possible = not ("ぁ" <= last <= "ゖ" and last not in "のはがとん")
        # A speaker's turn ("相談者:ရှိပါတယ်။") begins with what they said, not with a name after a label.
        cue_possible = cue_possible and start not in speech
        if ((cue_possible and (_JA_CUE_BEFORE.search(before) or _NATIVE_CUE_BEFORE.search(before)))
                or _JA_CUE_AFTER.match(after)
                or told is not None
                or (start - line_start <= 28 and _CHAT_OR_LIST_START.fullmatch(folded, line_start, start)
                    and _SPEAKER_END.match(after + "\n") and len(words) <= 3
                    and not (re.match("[가-힣]", words[0]) and (len(words) > 2
                                                               or _HANGUL_SENTENCE_END.search(words[-1]))))):
            yield "person_name", start, end, CONFIDENT
            continue
        # No cue: a short run set unquoted between Japanese words, the only run of its script on the line.
        near_before = before.rstrip(" \t")[-1:]
        near_after = after.lstrip(" \t")[:1]
        # The only run on its line: its neighbours among the runs (in order) are on other lines.
        alone = ((index == 0 or "\n" in folded[runs[index - 1].end():match.start()])
                 and (index + 1 == len(runs) or "\n" in folded[match.end():runs[index + 1].start()]))
        if (alone and len(words) <= 3 and (_JAPANESE_LETTER.match(near_before or "") or _JAPANESE_LETTER.match(near_after or ""))
                and near_before not in _QUOTE_BEFORE and near_before not in "：:/→"
                and near_after not in "」』\"”'’:：/→"):
            yield "person_name", start, end, CHECK


# A katakana name joined by ・ or ＝ and its own form in brackets after it, in another script or in Latin
# letters ("ヌエ・ヌエ・エー（နွယ်နွယ်အေး）", "ガンゾリグ・アヌジン（Ганзоригийн Анужин）"): a person, for sure when a
# person cue stands before ("申立人シャルミン・アクテル（শারমিন…"), else to check (a festival is written so too).
_KATAKANA_THEN_FORM = re.compile(
    r"(?<![ァ-ヴー・=＝])(?P<name>[ァ-ヴー]{2,12}(?:[・=＝][ァ-ヴー]{1,12}){1,4})[ \t]*\((?P<form>" + _SCRIPT_WORD + "(?: "
    + _SCRIPT_WORD + r"){0,4}|[" + _LATIN_LETTER + r"][" + _LATIN_LETTER + r"'’\-]+(?: [" + _LATIN_LETTER + r"][" + _LATIN_LETTER
    + r"'’\-]+){0,4})(?=[)、,/ ])")
_PERSON_CUE_BEFORE = re.compile(r"(?:氏名|名前|本人|申立人|申請人|申請者|相談者|児童|生徒|保護者|配偶者|妻|夫|長男|長女|次男|次女"
                                r"|息子|娘|母|父|兄|姉|弟|妹|(?i:name))(?:\([^()\n]{1,6}\))?[：: \t]*$")


def _katakana_names_with_forms(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _KATAKANA_THEN_FORM.finditer(folded):
        name, form = match.group("name"), match.group("form")
        if any(w in COUNTRIES_IN_KANA for w in re.split(r"[・=＝]", name)) or is_not_a_person(name):
            continue
        if re.match("[" + _LATIN_LETTER + "]", form) and (all(_is_common(w) for w in form.split())
                                                        or not all(w[0].isupper() for w in form.split())):
            continue
        cued = _PERSON_CUE_BEFORE.search(folded, max(0, match.start() - 16), match.start())
        if not cued and " " not in form and re.match("[" + _LATIN_LETTER + "]", form):
            continue  # one Latin word in brackets may be any word's spelling ("ビザ（Visa）")
        tier = CONFIDENT if cued else CHECK
        yield "person_name", match.start("name"), match.end("name"), tier
        yield "person_name", match.start("form"), match.end("form"), tier


# Minutes and hand-overs: a surname with the person's role in brackets ("森（社労士）", "堀（保健センター 保健師）",
# "北川（子ども家庭課CW・進行）"), a surname with a role's abbreviation ("宮内CW → 堀江CW"); found so, a surname is
# found again as a speaker of the minutes ("森：…", "①森：…", see _speaker_at).
_ROLE = (r"(?:社労士|保健師|看護師|弁護士|医師|司法書士|行政書士|社会福祉士|精神保健福祉士|通訳|相談員|支援員|書記長|委員長|進行"
         r"|司会|記録|園長|校長|教頭|担任|教諭|主任|課長|係長|ケースワーカー|ソーシャルワーカー|保育士|理事|事務局長|所長|院長"
         r"|部長|社長|店長|スタッフ|ボランティア|職員|CW|SW|MSW|PSW|SSW|Ns|Dr)")
_NAME_WITH_ROLE = re.compile(r"(?:^|(?<=[\s、，,:：(・/]))(?P<name>[一-龥々]{1,3})\((?P<role>[^()\n]{0,16}?" + _ROLE
                             + r")(?:[・、 ][^()\n]{0,10})?\)", re.MULTILINE)
_NAME_THEN_ABBREVIATION = re.compile(r"(?:^|(?<=[\s、，,:：(・/→】」』)]))(?P<name>[一-龥々]{2,3})(?:CW|SW|MSW|PSW|SSW|Ns)(?![A-Za-z])",
                                     re.MULTILINE)
_NOT_A_SURNAME = re.compile(r"(?:[課係部室局所署院会団庁市区町村県都府道校園省社店科班組]|父|母|夫|妻|兄|姉|弟|妹|娘|息子|祖父|祖母"
                            r"|本人|本児|子|家族|世帯|師|士|員|者|長|手|医|局|官)$|^(?:" + _ROLE + r")$")
# Words that head lines of forms, minutes and notes: labels, not speakers.
_LABEL_WORDS = frozenset("""日時 日付 時間 場所 内容 目的 結果 対応 方針 課題 経過 概要 備考 メモ 連絡 予定 次回 今後 決定 合意 確認 注意
    補足 質問 回答 結論 要望 意見 所見 出席 欠席 議題 件名 宛先 送信 受信 主訴 相談 支援 状況 背景 評価 計画 目標 理由 件 例 注 答 問
    住所 電話 氏名 名前 国籍 性別 年齢 職業 学校 勤務 勤務先 在留 資格 期限 番号 記録 担当 通訳 本人 母 父 夫 妻 子 児 済 未 可 否
    午前 午後 朝 昼 夜 今日 明日 昨日 今週 来週 先週 前回 今回 初回 以上 以下 合計 小計 金額 費用 収入 支出 家賃 病名 診断 処方 服薬
    症状 検査 治療 入院 退院 通院 受診 健診 保険 年金 手当 申請 提出 結果 TEL 電 話 済み 会議 議事 要旨 決定事項 宿題 次 他 全体""".split())


def _minutes_names(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _NAME_WITH_ROLE.finditer(folded):
        name = match.group("name")
        if not _NOT_A_SURNAME.search(name) and name not in _LABEL_WORDS and not is_not_a_person(name):
            yield "person_name", match.start("name"), match.end("name"), CONFIDENT
    for match in _NAME_THEN_ABBREVIATION.finditer(folded):
        name = match.group("name")
        if not _NOT_A_SURNAME.search(name) and name not in _LABEL_WORDS:
            yield "person_name", match.start("name"), match.end("name"), CONFIDENT


# A name in brackets after a Japanese word for the person ("パパ（Ernesto）", "子ども（Sanduni、2歳）"); a name with
# its country in brackets ("12/3(火) Bolormaa（モンゴル）", to check: a town is written so too); a name alone on the
# line after a letter's closing ("Abraço,\nGabi").
_KIN_THEN_BRACKET = re.compile(
    r"(?:パパ|ママ|父親?|母親?|夫|妻|息子|娘|子ども|子供|長男|長女|次男|次女|三男|三女|兄|姉|弟|妹|本人|本児|祖父|祖母|彼女?|友人|上司"
    r"|同僚|婚約者|恋人|元夫|元妻|内縁の夫|内縁の妻|赤ちゃん|乳児|幼児)\((?P<name>[" + _LATIN_LETTER + r"][" + _LATIN_LETTER
    + r"'’\-]+(?: [" + _LATIN_LETTER + r"][" + _LATIN_LETTER + r"'’\-]+){0,3}|" + _SCRIPT_WORD + r"(?: " + _SCRIPT_WORD
    + r"){0,3})(?=[、,)/ ])")
_NAME_THEN_COUNTRY = re.compile(r"(?<![" + _LATIN_LETTER + r"])(?P<name>[A-Z][" + _LATIN_LETTER + r"'’\-]{2,}(?: [A-Z]["
                                + _LATIN_LETTER + r"'’\-]+){0,2})[ \t]?\((?P<country>[ァ-ヴー]{2,10})[)、,]")
_CLOSING_THEN_NAME = re.compile(
    r"^[ \t]*(?:(?i:regards|best regards|kind regards|best|cheers|thanks|thank you|sincerely|abraço|abraços|atenciosamente"
    r"|saludos|un saludo|cordialmente|salamat|trân trọng|cảm ơn|hormat saya|salam|terima kasih))[,.!]?[ \t]*\n"
    r"[ \t]*(?P<name>[A-Z][" + _LATIN_LETTER + r"'’\-]+(?: [A-Z][" + _LATIN_LETTER + r"'’.\-]*){0,2})[ \t]*$", re.MULTILINE)


def _names_by_their_place(folded: str) -> Iterator[tuple[str, int, int, str]]:
    for match in _KIN_THEN_BRACKET.finditer(folded):
        name = match.group("name")
        if not all(_is_common(w) for w in name.split()) and name[0] not in "0123456789":
            if re.match("[" + _LATIN_LETTER + "]", name) and not name[0].isupper():
                continue
            yield "person_name", match.start("name"), match.end("name"), CONFIDENT
    for match in _NAME_THEN_COUNTRY.finditer(folded):
        name = match.group("name")
        if match.group("country") in COUNTRIES_IN_KANA and not any(_is_common(w) for w in name.split()):
            yield "person_name", match.start("name"), match.end("name"), CHECK
    for match in _CLOSING_THEN_NAME.finditer(folded):
        name = match.group("name")
        if not all(_is_common(w) for w in name.split()):
            yield "person_name", match.start("name"), match.end("name"), CONFIDENT


def name_hits(folded: str) -> Iterator[tuple[str, int, int, str]]:
    yield from _names_by_their_place(folded)
    yield from _katakana_names_with_forms(folded)
    yield from _minutes_names(folded)
    yield from _latin_names(folded)
    yield from _romaji_honorific_names(folded)
    for match in _ROMAJI_SCHOOL.finditer(folded):
        # a particle ends the phrase before it: "Kodomo wa | Minami shogakko"
        particle = None
        for particle in _ROMAJI_PARTICLE.finditer(match.group()):
            pass
        start = match.start() + particle.end() if particle else match.start()
        if start < match.end() and folded[start].isupper():
            yield "school", start, match.end(), CONFIDENT
    yield from _chat_speakers(folded)
    yield from _letter_names(folded)
    yield from _script_names(folded)
    yield from _script_runs(folded)


# --- people found again -------------------------------------------------------------------------
_MENTION_WORD = re.compile(r"[一-龥々]+|[ァ-ヴー]+|[" + _LATIN_LETTER + r"]+|[" + OTHER_SCRIPTS + "]+")
_PART_SPLIT = re.compile(r"[\s,・＝=･]+")
_HONORIFIC_AFTER = ("さん", "様", "氏", "さま", "くん", "君", "ちゃん", "先生", "医師", "씨", "님")
_TITLE_KANJI = ("先生", "医師", "氏", "様", "君", "教諭", "弁護士")
_KANA_SUFFIXES = ("さん", "様", "氏", "ちゃん", "くん", "先生")


def _parts(name: str) -> set[str]:
    parts = {p for p in _PART_SPLIT.split(name) if p}
    whole = re.sub(r"[\s・＝=･]", "", name)
    parts.add(whole)
    kept = set()
    for part in parts:
        if re.fullmatch(r"[" + _LATIN_LETTER + r"]+", part):
            if len(part) >= 3 and not _is_common(part):
                kept.add(part.lower())
        elif len(part) >= 2 and part not in _NEVER_A_MENTION:
            kept.add(part)
        elif len(part) == 1 and re.fullmatch(r"[一-龥]", part):
            kept.add(part)  # a one-kanji surname: only with an honorific after it
    return kept


_READING = re.compile(r" ?[（(](?P<reading>[ぁ-んァ-ヴー]{2,10}(?:[ ・][ぁ-んァ-ヴー]{1,10}){0,3})[）)]")
COUNTRIES_IN_KANA = frozenset("""ブラジル ペルー フィリピン ベトナム ネパール スリランカ パキスタン インド インドネシア タイ
    ミャンマー バングラデシュ アメリカ イギリス ナイジェリア ガーナ トルコ イラン イラク シリア アフガニスタン ソマリア
    エチオピア カメルーン コンゴ ウガンダ ケニア モンゴル カンボジア ラオス マレーシア ボリビア コロンビア メキシコ
    アルゼンチン チリ パラグアイ ロシア ウクライナ フランス ドイツ スペイン ポルトガル カナダ オーストラリア""".split())
_NEVER_A_MENTION = frozenset("本人 相談者 申請者 子ども 家族 先生 さん 通訳 担当".split())


# The same name written again in another script right after it: in brackets, even on the next line
# ("Heng Pisey（ហេង ពិសី）", "申立人 シャルミン・アクテル（শারমিন আক্তার、バングラデシュ国籍", "氏名 X\n（Y ／ Z）"),
# after a slash ("Gholamreza Hosseini／غلامرضا حسینی") or in the next cell of a row ("LONG Sreyneang","ឡុង ស្រីនាង").
# A bracket's pieces (split at ／ 、 , ;) are names while they are runs of another script or capitalised
# words that are not common words; the first piece that is not one (a nationality, a date) ends them.
_SCRIPT_RUN_WHOLE = re.compile(_SCRIPT_WORD + "(?: " + _SCRIPT_WORD + "){0,4}")
_CAPITALISED_WORDS = re.compile(r"[" + _LATIN_LETTER + r"][" + _LATIN_LETTER + r"'’.\-]*(?: [" + _LATIN_LETTER + r"][" + _LATIN_LETTER
                                + r"'’.\-]*){0,4}")
_ALTERNATE_BRACKET = re.compile(r"[ \t]*(?:\n[ \t]*)?\((?P<inner>[^()\n]{1,100})")
_ALTERNATE_CELL = re.compile(r"[ \t]*(?:/|\t|\",\"|,|\|)[ \t]*(?P<inner>" + _SCRIPT_WORD + "(?: " + _SCRIPT_WORD + "){0,4})"
                             r"(?=[ \t]*(?:[\"\t|)\n]|$))")
_PIECE = re.compile(r"[^/、,，;]+")
_KATAKANA_FORM = re.compile(r"[ァ-ヴー]{2,12}(?:[・=＝ ][ァ-ヴー]{1,12}){0,4}")


def _alternate_forms(folded: str, name_start: int, end: int) -> Iterator[tuple[str, int, int, str]]:
    name = folded[name_start:end]
    latin_name = re.search(r"[" + _LATIN_LETTER + r"]", name) is not None
    # A katakana name may be a festival or a dish the rules took for a person ("プチュム・バン（ភ្ជុំបិណ្ឌ）"):
    # its form in another script is then one to check.
    tier = CHECK if re.fullmatch(r"[ァ-ヴー・=＝ ]+", name) else CONFIDENT
    cell = _ALTERNATE_CELL.match(folded, end)
    if cell:
        yield "person_name", cell.start("inner"), cell.end("inner"), tier
        return
    bracket = _ALTERNATE_BRACKET.match(folded, end)
    if not bracket:
        return
    for piece in _PIECE.finditer(folded, bracket.start("inner"), bracket.end("inner")):
        start, stop = piece.start(), piece.end()
        while start < stop and folded[start] == " ":
            start += 1
        while stop > start and folded[stop - 1] == " ":
            stop -= 1
        value = folded[start:stop]
        if _SCRIPT_RUN_WHOLE.fullmatch(value) or (not re.search(r"[ァ-ヴぁ-ん一-龥]", name) and _KATAKANA_FORM.fullmatch(value)
                                                  and not any(w in COUNTRIES_IN_KANA for w in re.split(r"[・=＝ ]", value))):
            # (its reading in katakana, after a name in another script: "นงลักษณ์ ศรีสุข（ノンラック・シースック、通称…")
            yield "person_name", start, stop, tier
        elif (not latin_name and _CAPITALISED_WORDS.fullmatch(value) and all(w[0].isupper() for w in value.split())
              and not all(_is_common(w) for w in value.split())):
            # a name in Latin letters after one in another script ("ミン・テッ・ナイン（MIN THET NAING"), not
            # a second Latin run after a Latin one ("Contact Notebook (Renrakuchō)")
            yield "person_name", start, stop, tier
        else:
            return


def _word_pairs(name: str) -> list[str]:
    words = name.split()
    return [f"{a} {b}" for a, b in zip(words, words[1:])]


def name_parts(names: Iterable[str]) -> tuple[set[str], set[str]]:
    """The parts of the names found with confidence (folded text) that a mention may repeat, and
    the pairs of neighbouring words in them ("may zin" of "May Zin Htun"), looked up by set."""
    names = set(names)  # each name once, however often it was found
    return ({part for name in names for part in _parts(name)},
            {pair for name in names for pair in _word_pairs(name.lower())})


def mentions_again(folded: str, found: Iterable[tuple[str, int, int, str]],
                   known: tuple[set[str], set[str]] | None = None) -> Iterator[tuple[str, int, int, str]]:
    """Every bare later (or earlier) mention of a part of a name already found with confidence.
    ``known`` is ``name_parts`` of the names found in a whole text of which ``folded`` is a piece;
    without it, the names in ``found`` give them."""
    found = list(found)
    parts, pairs = known if known is not None else name_parts(
        folded[start:end] for kind, start, end, tier in found if kind == "person_name" and tier == CONFIDENT)
    if not parts:
        return
    for kind, start, end, tier in found:
        if kind == "person_name" and tier == CONFIDENT:
            # "小池 恵（こいけ めぐみ）", "GURUNG Sujan（グルン スジャン）": the reading in brackets after a name
            reading = _READING.match(folded, end)
            if reading and reading.group("reading") not in COUNTRIES_IN_KANA:
                yield "person_name", reading.start("reading"), reading.end("reading"), CONFIDENT
            yield from _alternate_forms(folded, start, end)
    for match in _MENTION_WORD.finditer(folded):
        word, start, end = match.group(), match.start(), match.end()
        if word[0] in _LATIN_LETTER_SET:
            if word.lower() in parts and word[0].isupper():
                previous = re.search(r"([" + _LATIN_LETTER + r"]+) $", folded[max(0, start - 16):start])
                if previous and f"{previous.group(1).lower()} {word.lower()}" in pairs:
                    start = previous.start(1) + max(0, start - 16)
                yield "person_name", start, end, CONFIDENT
            continue
        after = folded[end:end + 2]
        if re.match(r"[一-龥]", word):
            # "内藤さん", "吉岡先生", "三浦から": the name at the start of a kanji run, then a title or nothing
            for size in range(min(len(word), 4), 0, -1):
                head, rest = word[:size], word[size:]
                if head not in parts:
                    continue
                if rest and not rest.startswith(_TITLE_KANJI):
                    continue
                if size == 1 and not (rest or after.startswith(_HONORIFIC_AFTER) or _speaker_at(folded, start, end)):
                    continue
                yield "person_name", start, start + size, CONFIDENT
                break
            continue
        if word in parts:
            yield "person_name", start, end, CONFIDENT


_SPEAKER_BEFORE = re.compile(r"(?:^|\n)[ \t]*(?:[①-⑳・\-*•]|[0-9]{1,2}[.)])?[ \t]*$")


def _speaker_at(folded: str, start: int, end: int) -> bool:
    """A word standing as a speaker or a list item's owner: at a line's start, before "：" ("森：", "④堀：")."""
    return folded[end:end + 1] in (":", "：") and _SPEAKER_BEFORE.search(folded, max(0, start - 8), start) is not None


_LATIN_LETTER_SET = frozenset(chr(c) for c in range(0x41, 0x5B)) | frozenset(chr(c) for c in range(0x61, 0x7B)) | \
    frozenset(chr(c) for c in range(0xC0, 0x250) if chr(c).isalpha()) | frozenset(chr(c) for c in range(0x1E00, 0x1F00))


# --- what is not a person -----------------------------------------------------------------------
# Historical figures named as references in training material and notes.
HISTORICAL_FIGURES = frozenset(re.sub(r"[\s・＝=]", "", w) for w in """
魯迅 鲁迅 ホセ・リサール リサール José・Rizal Jose・Rizal Rizal 杉原千畝 野口英世 孫文 孙文 ガンディー ガンジー
マハトマ・ガンディー Gandhi Mahatma・Gandhi ホー・チ・ミン Ho・Chi・Minh Hồ・Chí・Minh 福沢諭吉 夏目漱石 坂本龍馬
織田信長 徳川家康 豊臣秀吉 聖徳太子 紫式部 樋口一葉 津田梅子 北里柴三郎 渋沢栄一 新渡戸稲造 毛沢東 毛泽东 周恩来
藤野先生 マンデラ Mandela マザー・テレサ ナイチンゲール キング牧師 アウンサンスーチー 李舜臣 世宗 ブッダ 釈迦 
""".split())
# Words that stand where a name stands: labels of forms, prayers and events.
_NOT_PEOPLE = frozenset("""申立人 相手方 申請人 申請者 相談者 相談員 本人 対象者 保護者 依頼者 記録者 代理人 ジュマ ジュムア
    リーマンショック 番号 代表番号 フリガナ ふりがな 代表取締役 取締役 コーディネーター パート アルバイト
    同上 同右 同左 同前""".split())  # a ledger's ditto words
JOB_TITLES = ("主任", "課長", "係長", "部長", "班長", "工場長", "事務局長", "局長", "所長", "院長", "校長", "教頭", "担任",
              "課長補佐", "社長", "店長", "室長", "理事長", "会長", "園長", "看護師長", "師長", "学年主任", "ライン主任",
              "ホール主任", "Manager", "Director", "Chief", "Supervisor", "Leader")


@functools.lru_cache(maxsize=8192)  # pure; a text naming the same people again and again asks the same question
def is_not_a_person(name: str, following: str = "") -> bool:
    """A historical figure named as a reference, or a job title ("ホール主任"); ``following`` is the
    text right after the name ("ホール" before "主任", "Dr. Jos" before "é Rizal")."""
    bare = re.sub(r"^(?:Mr|Mrs|Ms|Dr|Prof)\.? ", "", name)
    bare = re.sub(r"[\s・＝=]", "", bare)
    latin = re.findall(r"[" + _LATIN_LETTER + r"]+", name)
    if latin and re.fullmatch(r"[" + _LATIN_LETTER + r" .\-]+", name) and all(_is_common(w) for w in latin):
        return True  # "Ano Novo", "Mula Maynila": words of the language, not a name
    # "ホール主任" is a title; a kanji surname before one is a person ("宮地主任", "長田課長")
    titled = following.startswith(JOB_TITLES) and not re.fullmatch(r"[一-龥々]{1,4}", bare)
    if titled or (bare + following[:2]) in HISTORICAL_FIGURES:
        return True
    extended = bare + re.sub(r"[\s・＝=]", "", re.match(r"[^\n、。,()（）]{0,12}", following).group())
    # A name cut inside a figure's name ("Dr. Jos" of "Dr. José Rizal").
    if len(bare) >= 3 and any(extended.startswith(figure) and len(bare) < len(figure)
                              for figure in HISTORICAL_FIGURES if len(figure) >= 4):
        return True
    parts = [p for p in re.split(r"[・＝=\s]", name) if p]
    if len(parts) > 1 and all(p in HISTORICAL_FIGURES for p in parts):
        return True  # "孫文・魯迅"
    return (bare in HISTORICAL_FIGURES or bare.endswith(JOB_TITLES) or bare in _NOT_PEOPLE
            or bare in COUNTRIES_IN_KANA or _FORM_VERB.fullmatch(bare) is not None)


# 申 is a surname too, but before these it is a form's verb: 申請, 申込, 申立(書), 申告, 申出.
_FORM_VERB = re.compile(r"申(?:請|込|立|告|出|入)(?:書|日|先|者|人|て|み)?")
