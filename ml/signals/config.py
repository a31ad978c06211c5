"""Configuration for communication signals: defaults in code, overrides from config/signals.yaml.

Marker patterns are regexes over the *normalised* text: lower case, «ё» folded to «е»,
typographic quotes/apostrophes made plain, whitespace collapsed to single spaces.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG_PATH = REPO_ROOT / "config" / "signals.yaml"

MARKERS = (
    "passive_aggressive", "ultimatum", "competitor", "data_export",
    "price_complaint", "billing_complaint", "refund_request",
)

# Russian inflection is covered with \w* tails; English with explicit alternatives.
DEFAULT_MARKERS: dict[str, list[str]] = {
    "passive_aggressive": [
        # ru
        (r"\b(?:я|мы) (?:же )?уже (?:\w+ ){0,2}(?:объяснял|писал|говорил|сообщал|рассказывал|описывал|"
        r"отправлял|присылал|просил|обращал|спрашивал|указывал|объясняли|писали|говорили|сообщали|"
        r"рассказывали|описывали|отправляли|присылали|просили|обращались|спрашивали|указывали)\w*"),
        r"\bуже (?:в )?(?:который|второй|третий|четвертый|пятый|десятый|энный|n-?ый|\d+-?(?:й|ий|ый)) раз\b",
        r"\bв (?:который|очередной|энный|сотый) раз\b",
        (r"\b(?:пишу|звоню|обращаюсь|прошу|спрашиваю|объясняю|напоминаю|повторяю) (?:вам )?(?:уже )?"
        r"(?:в )?(?:второй|третий|четвертый|пятый|десятый|энный|который|очередной|\d+-?(?:й|ий)) раз\b"),
        (r"\b(?:второй|третий|четвертый|пятый|десятый|который|очередной) раз (?:уже )?(?:пишу|звоню|обращаюсь|"
        r"прошу|спрашиваю|объясняю|напоминаю)\b"),
        r"\bнадеюсь,? (?:что )?(?:хотя бы |хоть )?(?:в|на) (?:этот|сей) раз\b",
        (r"\bнадеюсь,? (?:что )?(?:хотя бы |хоть )?теперь (?:\w+ ){0,2}(?:получится|заработает|почин\w+|"
        r"исправ\w+|дойдут|прочита\w+|дочита\w+|разбер\w+|посмотр\w+|услыш\w+|поймут|ответ\w+)"),
        r"\bспасибо,? конечно,? за\b",
        r"\b(?:может|может быть),? (?:хоть|хотя бы) (?:кто-то|кто-нибудь|в этот раз|теперь|вы)\b",
        r"\bсколько (?:еще |ещё |же )?можно\b",
        r"\b(?:повторяю|повторю) (?:еще|ещё) раз\b", r"\b(?:еще|ещё) раз повторяю\b",
        r"\b(?:спасибо|благодарю) за (?:очередную |вашу |эту )?отписку\b",
        r"\b(?:неужели|разве) (?:это )?(?:так )?сложно\b",
        r"\b(?:вы|вам) (?:вообще )?(?:читаете|читали|прочитали) (?:мои |наши )?(?:письма|сообщения|обращения)",
        r"\bвидимо,? (?:вам|у вас) (?:не до|все равно|всё равно|некогда)",
        r"\bкак (?:и )?следовало ожидать\b",
        r"\b(?:как|что) (?:я|мы) (?:уже )?(?:и )?(?:писал|говорил|объяснял|предупреждал)\w* (?:ранее|выше|раньше)\b",
        # en
        (r"\bas (?:i|we) (?:have |had )?(?:already |previously |clearly )?(?:said|mentioned|explained|stated|wrote|"
        r"noted|told you|pointed out|indicated)\b"),
        (r"\b(?:i|we)(?: have|'ve|’ve)? already (?:\w+ ){0,2}(?:explained|told|said|mentioned|asked|reported|"
        r"written|wrote|described|provided|sent you)\b"),
        r"\bfor the (?:second|third|fourth|fifth|tenth|nth|umpteenth|hundredth|\d+(?:st|nd|rd|th)) time\b",
        r"\bper my (?:last|previous|earlier) (?:e-?mail|message|note|request)\b",
        r"\bas (?:previously|already) (?:stated|mentioned|discussed|explained|requested)\b",
        r"\bhopefully (?:this time|someone|somebody|you can actually|it will actually|now)\b",
        r"\bhow many (?:more )?times\b",
        (r"\b(?:asked|requested|written|called|reported|told you|explained) (?:\w+ ){0,4}(?:three|four|five|several|"
        r"multiple|many|3|4|5) times\b"),
        r"\bwhy (?:is )?this (?:is )?so (?:hard|difficult)\b",
        r"\bonce again,? (?:i(?:'m| am)|we(?:'re| are)) (?:writing|asking|reaching out|following up|contacting)\b",
        r"\bthanks for nothing\b", r"\byet again\b",
        r"\b(?:does|did) anyone (?:there )?(?:actually |even )?read\b",
        r"\bis it (?:really )?(?:that|so) (?:hard|difficult)\b",
        r"\bwith all due respect\b",
        r"\b(?:i'm|i am) sure (?:you're|you are) (?:very )?busy\b",
    ],
    "ultimatum": [
        r"\bэто (?:уже )?(?:наш |мой )?последн\w+ (?:раз|предупреждени\w*|шанс\w*|обращени\w*|письм\w*|попытк\w*)",
        (r"\b(?:в|на) последн\w+ раз (?:\w+ ){0,1}(?:прошу|пишу|обращаюсь|предупреждаю|продлева\w+|плат\w+|"
        r"напоминаю|даю|даем|идем|терпим|закрываем|спрашиваю|просим|пишем|ждем|жду|оплачиваем)\b"),
        (r"\b(?:прошу|просим|предупреждаю|предупреждаем|пишу|пишем|обращаюсь|напоминаю|спрашиваю) (?:вас )?"
        r"(?:в )?последн\w+ раз\b"),
        r"\bпоследн\w+ (?:предупреждени\w*|шанс)\b",
        r"\bпоследн\w+ раз (?:\w+ ){0,1}(?:прошу|просим|предупреждаю|предупреждаем|пишу|напоминаю|спрашиваю)\b",
        (r"\b(?:будем|буду|будут) вынужден\w* (?:\w+ ){0,2}(?:расторгн\w+|отказ\w+|перей\w+|обрати\w+|уйти|сменить|"
        r"прекрати\w+|искать|пойти|подать|направить|отключ\w+)"),
        r"\b(?:расторгн\w+|расторгаем|расторжени\w+|разорв\w+) (?:\w+ ){0,1}(?:договор\w*|контракт\w*|сотрудничеств\w*)",
        (r"\b(?:откажемся|откажусь|отказываемся) от (?:вас\b|(?:ваших |вашего |вашей )?(?:услуг|сервис\w*|продукт\w*|"
        r"сотрудничеств\w*|систем\w*))"),
        (r"\b(?:уйдем|уйду|перейдем|переходим|переедем|уходим) (?:к|на) (?:конкурент\w*|другого|другой|другому|"
        r"другие|битрикс\w*|амо\w*|мегаплан\w*)"),
        (r"\bиначе (?:мы |я )?(?:\w+ ){0,1}(?:расторг|откаж|уйд|перейд|обрат|напиш|подад|будем|буду|придется|"
        r"вынужден)\w*"),
        (r"\bесли [^.!?]{0,80}\bне [^.!?]{0,60}(?:расторгн|откаж|уйд|перейд|подад|обратимся|придется|вынужден|"
        r"не продл|продлевать не)\w*"),
        (r"\b(?:обратимся|обращусь|подадим|подам|пойдем|пойду) (?:\w+ ){0,2}(?:в суд|в роспотребнадзор|в прокуратуру|"
        r"в арбитраж|с иском|иск)"),
        r"\bдосудебн\w+ претензи\w*",
        r"\b(?:даю|даем|даём) (?:вам )?(?:срок|время|сутки|последний шанс|\d+ (?:дн|час|сут|недел))\w*",
        r"\b(?:не продлим|не будем продлевать|не станем продлевать)\b",
        (r"\b(?:продлевать|подписывать|оплачивать|платить|закупаться|работать с вами|сотрудничать) (?:\w+ ){0,3}"
        r"не (?:будем|станем)\b"),
        r"\bбольше (?:у вас |с вами )?не (?:закупаемся|закупимся|работаем|будем|обратимся|заказываем)\b",
        r"\bесли [^.!?]{0,80}\bне [^.!?]{0,80}(?:отменяем|отменим|отказываемся|уходим|уйдем)\b",
        # en
        (r"\b(?:this is|it's|it is|this will be|consider this) (?:the |your |our |my )?(?:last|final) "
        r"(?:time|chance|warning|reminder|request|notice)\b"),
        r"\blast chance\b", r"\bfinal (?:warning|notice)\b",
        r"\b(?:otherwise|or else),? (?:we|i)(?:'ll|’ll| will| would| are going to| shall| have to| must)\b",
        (r"\b(?:we|i)(?:'ll|’ll|'re|’re| will| are going to| are| shall)(?: going to)? (?:have to |be forced to |need to |be )?(?:cancel|"
        r"terminate|leave|switch\w*|end (?:our|the)|move (?:to|our)|take (?:our|my) business|escalate|file a|"
        r"pursue|seek legal|dispute|stop paying|look elsewhere|not renew|start looking)\b"),
        r"\b(?:we|i)(?:'ll|’ll| will) be forced to\b",
        r"\b(?:terminate|terminating) (?:the |our |this )?(?:contract|agreement|relationship)\b",
        r"\blegal action\b", r"\b(?:our|my) (?:lawyer|lawyers|attorney|legal team)\b",
        r"\b(?:won't|will not|do not plan to|don't plan to|not going to) (?:be )?renew\w*\b",
        (r"\b(?:unless|if) [^.!?]{0,80}\b(?:by|within|before) (?:friday|monday|tuesday|wednesday|thursday|tomorrow|"
        r"end of|the end|\d+ (?:days|hours|business))"),
    ],
    "data_export": [
        (r"\bвыгруз\w* (?:\w+ ){0,3}(?:баз\w*|данн\w*|клиент\w*|контакт\w*|сделк\w*|сделок|истори\w*|переписк\w*|"
        r"карточ\w*|все|всех|всю|архив\w*)"),
        (r"\bэкспорт\w* (?:\w+ ){0,2}(?:баз\w*|данн\w*|клиент\w*|контакт\w*|сделок|сделк\w*|всего|всех|всю|в excel|"
        r"в эксель|в csv|в xlsx)"),
        (r"\b(?:скача\w*|скачив\w*|забрать|заберем|получить|предоставьте|предоставить|выдайте|выдать|пришлите|"
        r"сделайте|сделать|нужна|нужен|нужно) (?:\w+ ){0,2}(?:(?:всю|нашу|полную|всей) баз\w*|(?:все|наши|все наши|"
        r"всех наших) (?:\w+ )?данн\w*|полн\w+ (?:выгрузк\w*|копи\w*|архив\w*|дамп\w*|экспорт\w*)|"
        r"архив (?:всех |наших )?данн\w*|дамп\w*|бэкап\w*|резервн\w+ копи\w*)"),
        (r"\b(?:перенести|перенос\w*|перенесем|переносим|мигр\w+|переезд\w*|перевезти) (?:\w+ ){0,3}(?:данн\w*|баз\w*|"
        r"клиент\w*|контакт\w*|истори\w*|сделк\w*|сделок)"),
        # en
        (r"\bexport (?:\w+ ){0,3}(?:data|database|contacts|customers|customer list|records|history|deals|"
        r"everything|all)\b"),
        (r"\b(?:download|get|retrieve|obtain|extract|pull|receive|send us|send me|need|provide) (?:\w+ ){0,2}"
        r"(?:(?:all|a copy of|a full copy of|a complete copy of) (?:of )?(?:our|my|the) (?:\w+ )?(?:data|records|"
        r"contacts|database|history)|(?:full|complete) (?:export|backup|dump|copy)|(?:our|my) (?:entire|whole) "
        r"(?:database|data|account data|customer base))"),
        r"\b(?:data|database|full|complete|csv|bulk) (?:export|dump|extract)\b",
        (r"\b(?:migrat\w+|transfer\w*|moving|move|port) (?:\w+ ){0,2}(?:our|my|all|all of our|all our) (?:\w+ )?"
        r"(?:data|database|records|contacts|history)\b"),
        r"\bcopy of (?:all )?(?:our|my) (?:\w+ )?data\b",
    ],
    "price_complaint": [
        r"\bдорог(?:о|оват\w*)\b",
        r"\b(?:слишком|очень|неоправданно|чересчур|безумно|так|дико|космически|непомерно) дорог\w*",
        r"\bдорог\w+ (?:тариф\w*|подписк\w*|услуг\w*|сервис\w*|лиценз\w*|обслуживани\w*)",
        r"\bподорожа\w+",
        (r"\b(?:повыс\w+|повышени\w*|подня\w+|подним\w+|выросл\w*|вырос\w*|увелич\w+|удвои\w+) "
        r"(?:(?!не\b)\w+ ){0,2}(?:цен\w*|тариф\w*|стоимост\w*|прайс\w*|абонентск\w*|подписк\w*)"),
        r"\b(?:грабительск|конск|космическ|завышенн|неподъемн|заоблачн)\w* (?:цен|тариф|прайс|стоимост|расценк)\w*",
        r"\b(?:стоит|стоят|обходится|обходятся|выходит) (?:\w+ )?дороже\b",
        (r"\b(?:цен\w*|тариф\w*|стоимост\w*|прайс\w*|расценк\w*) (?:(?!не\b)\w+ ){0,3}(?:выросл\w*|вырос\w*|повыс\w+|"
        r"подня\w+|увелич\w+|кусают\w*|завышен\w*|неадекватн\w*|космическ\w*|конск\w*|грабительск\w*|"
        r"запредельн\w*|удвоил\w*)"),
        (r"\b(?:не потянем|не потянуть|не по карману|не можем себе позволить|не укладываемся в бюджет|"
        r"бюджет не позволяет|переплачива\w+|переплачу\w*)"),
        r"\b(?:конкурент\w*|други\w+|аналог\w*|рынк\w*|\w+24|амо\w*) (?:\w+ ){0,3}дешевле\b",
        r"\bдешевле (?:у|в|чем)\b",
        r"\b(?:цен\w*|стоимост\w*|тариф\w*) (?:\w+ ){0,2}не (?:соответству\w*|оправдан\w*|устраива\w*)",
        r"\bне стоит (?:\w+ ){0,2}(?:денег|своих денег|таких денег)",
        r"\bза такие деньги\b",
        # en
        r"\b(?:too|very|really|so|ridiculously|insanely|way too|overly|quite) (?:expensive|pricey|costly)\b",
        r"\boverpriced\b", r"\bpricey\b",
        r"\bmatch (?:the |our |a |your )?competitors?'?s? (?:price|offer|pricing|quote)",
        r"\bprice (?:increase|hike|jump|rise)s?\b",
        (r"\b(?:raised|increased|hiked|doubled|raising|increasing|hiking) (?:\w+ ){0,2}(?:price|prices|pricing|rates|"
        r"fees|subscription|plan)\b"),
        (r"\b(?:prices?|pricing|fees?|costs?|rates?|subscription) (?:\w+ ){0,2}(?:went up|have gone up|has gone up|"
        r"increased|doubled|(?:are|is) too high|too high|unreasonable|outrageous|ridiculous)\b"),
        r"\bcan(?:'t|not|’t) afford\b",
        r"\b(?:not|isn't|is not|no longer) worth (?:the |that )?(?:price|money|cost)\b",
        r"\bcheaper (?:elsewhere|alternative|option|competitor|with|at|than)\b", r"\b(?:is|are) (?:much )?cheaper\b",
        r"\bcosts? (?:us )?(?:way )?too much\b", r"\bout of (?:our|my) budget\b", r"\b(?:paying|pay) (?:way )?too much\b",
    ],
    "billing_complaint": [
        (r"\b(?:неверн\w+|неправильн\w+|ошибочн\w+|некорректн\w+|не тот|не те|лишн\w+|завышенн\w+|двойн\w+) "
        r"(?:\w+ ){0,1}(?:сч[её]т\w*|счет-фактур\w*|акт\w*|списани\w*|платеж\w*|начислени\w*|инвойс\w*)"),
        (r"\b(?:ошибк\w*|ошиблись) (?:\w+ ){0,1}(?:в|во|со?) (?:сч[её]т\w*|акт\w*|сумм\w*|начислени\w*|выставлени\w*|"
        r"платеж\w*|списани\w*)"),
        (r"\b(?:сч[её]т[\w-]*|акт\w*|инвойс\w*) (?:\w+ ){0,2}(?:с ошибк\w*|неверн\w*|неправильн\w*|некорректн\w*|"
        r"не соответству\w*|завышен\w*)"),
        (r"\bсписал\w* (?:\w+ ){0,3}(?:дважды|два раза|трижды|повторно|лишн\w*|без (?:нашего |моего )?(?:согласия|"
        r"предупреждени\w*|спроса|ведома)|не ту|не то|ошибочно|после отмен\w*|после отключ\w*)"),
        r"\b(?:дважды|два раза|трижды|повторно|ошибочно|незаконно|без спроса|самовольно) (?:\w+ )?списал\w*",
        r"\bдвойн\w+ (?:списани\w*|оплат\w*)",
        r"\b(?:незаконн\w+|необоснованн\w+|несанкционированн\w+) (?:списани\w*|начислени\w*)",
        (r"\b(?:деньги|оплат\w*|платеж\w*) (?:\w+ ){0,3}(?:списал\w*|ушл\w*|прош\w*|внесл\w*)[^.!?]{0,30}\b(?:а|но) "
        r"(?:\w+ ){0,3}(?:доступ\w*|подписк\w*|услуг\w*|тариф\w*|лиценз\w*) (?:\w+ ){0,2}(?:не|нет|отключ\w*|заблокир\w*)"),
        (r"\b(?:сч[её]т\w*|списал\w*|выставил\w*|начислил\w*)[^.!?]{0,50}\b(?:которы\w+|что) (?:мы |я )?не "
        r"(?:пользовал|заказывал|подключал|использовал)\w*"),
        r"\b(?:оплатил\w*|оплачен\w*|перевел\w*)[^.!?]{0,40}\b(?:не (?:отобража|поступ|засчита|зачисл|пришл|видн)\w*)",
        (r"\b(?:оплатил\w*|оплачен\w*|деньги|платеж\w*|оплат\w*) [^.!?]{0,60}\b(?:а|но) [^.!?]{0,40}\b(?:не (?:продлен|"
        r"активирован|отобража|поступ|зачисл|подключ|пришл)\w*|заблокир\w*|отключ\w*)"),
        r"\bпочему (?:\w+ ){0,3}(?:списали|списано|выставили|начислили|пришел сч\w+)",
        r"\b(?:два|дважды|2) одинаков\w+ (?:сч|спис|плат)\w*", r"\bдубл\w* (?:сч[её]т\w*|платеж\w*|списани\w*)",
        (r"\b(?:не пришли|не получили|не получаем|нет|где) (?:\w+ ){0,2}(?:закрывающи\w+ документ\w*|акт\w* сверки|"
        r"счет-фактур\w*|актов)"),
        # en
        r"\bover-?charg\w*",
        r"\b(?:charged|billed) (?:us |me )?(?:twice|two times|double|again|incorrectly|wrongly|the wrong)\b",
        r"\b(?:charged|billed) (?:us |me )?for (?:\w+ ){0,3}(?:we|i) (?:didn't|did not|never|don't|do not)\b",
        r"\bdouble[- ]?(?:charg\w*|bill\w*)",
        r"\b(?:wrong|incorrect|inaccurate|erroneous|duplicate) (?:invoice|bill|charge|amount|billing)\w*",
        r"\b(?:invoice|bill|charge) (?:\w+ ){0,3}(?:is|was|looks|seems) (?:wrong|incorrect|off)\b",
        r"\bbilling (?:error|mistake)s?\b",
        r"\bstill (?:being |getting |got |been )?(?:charged|billed)\b",
        r"\bunauthori[sz]ed (?:charge|payment|transaction|debit)s?\b",
        r"\b(?:charged|billed) (?:\w+ ){0,3}after (?:we |i )?(?:had )?(?:cancel\w*|downgrad\w*|clos\w*)",
    ],
    "refund_request": [
        (r"\bверн(?:ите|уть|ете|ули|ем|и|ешь)? (?:\w+ ){0,2}(?:деньги|денег|средств\w*|оплат\w*|платеж\w*|сумм\w*|"
        r"разниц\w*|предоплат\w*)"),
        (r"\bвозврат\w* (?:\w+ ){0,2}(?:денег|денежн\w+|средств|оплат\w*|платеж\w*|сумм\w*|предоплат\w*|"
        r"за (?:\w+ ){0,2}(?:подписк|лиценз|месяц|период|тариф|услуг|год))"),
        (r"\b(?:оформ\w+|сдела\w+|требу\w+|прош\w+|хочу|хотим|запрос\w*|заявлени\w* на|где мой|где наш) "
        r"(?:\w+ ){0,1}возврат\w*"),
        r"\bкомпенс\w+",
        r"\b(?:деньги|средства) (?:\w+ ){0,2}(?:назад|обратно)\b",
        r"\b(?:деньги|средства|оплату|предоплату) (?:\w+ ){0,1}верн(?:ите|уть|ете)\b",
        # en
        r"\brefund\w*(?! polic)", r"\bmoney back\b", r"\breimburs\w+", r"\bcharge-?back\b",
        r"\bcompensat\w+",
    ],
}

# register cues: exact tokens ("words"), substrings of the normalised text ("phrases"), emoticons
DEFAULT_REGISTER: dict[str, Any] = {
    "formal": {
        "words": {
            "здравствуйте": 1.0, "уважаемый": 1.5, "уважаемая": 1.5, "уважаемые": 1.5, "уважаемого": 1.5,
            "коллеги": 1.0, "прошу": 0.5, "просим": 0.5, "благодарю": 0.5, "вы": 0.5, "вас": 0.5, "вам": 0.5,
            "вами": 0.5, "dear": 1.5, "regards": 1.5, "sincerely": 2.0, "kindly": 1.0, "hello": 0.5,
        },
        "phrases": {
            "с уважением": 2.0, "добрый день": 1.0, "доброе утро": 1.0, "добрый вечер": 1.0, "доброго дня": 1.0,
            "будьте добры": 1.0, "будьте любезны": 1.0, "не могли бы вы": 1.0, "заранее спасибо": 0.5,
            "заранее благодар": 0.5, "please find": 1.0, "good morning": 1.0, "good afternoon": 1.0,
            "good evening": 1.0, "i would like": 0.5, "i would appreciate": 0.5, "could you please": 0.5,
        },
    },
    "informal": {
        "words": {
            "привет": 1.5, "приветик": 1.5, "приветики": 1.5, "привки": 1.5, "хай": 1.0,
            "ты": 1.5, "тебя": 1.5, "тебе": 1.5, "тобой": 1.5, "твой": 1.5, "твоя": 1.5, "твое": 1.5, "твои": 1.5,
            "твоего": 1.5, "твоей": 1.5, "твоих": 1.5, "спс": 1.5, "пасиб": 1.5, "пасибо": 1.5, "сенкс": 1.5,
            "спасибки": 1.5, "спасибочки": 1.5, "плиз": 1.0, "плз": 1.0, "пжл": 1.0, "пж": 1.0, "ок": 0.5,
            "окей": 0.5, "короче": 1.0, "давай": 1.0, "чмоки": 2.0, "ребят": 1.0, "ребята": 1.0, "щас": 1.0,
            "ваще": 1.0, "hi": 0.5, "hey": 0.5, "hiya": 0.5, "yo": 0.5, "thx": 1.5, "thanx": 1.5, "tnx": 1.5,
            "lol": 1.5, "lmao": 1.5, "omg": 1.5, "cheers": 1.0, "gonna": 1.0, "wanna": 1.0, "gotta": 1.0,
            "kinda": 1.0, "btw": 0.5, "guys": 0.5,
        },
        "phrases": {},
    },
    # emoticons: one informal cue of emoticon_weight when any is present
    "emoticons": r"(?::-?\)|;-?\)|\){2,}|:d\b|xd\b|[\U0001F600-\U0001F64F\U0001F44D\u263A])",
    "emoticon_weight": 1.5,
}

DEFAULTS: dict[str, Any] = {
    "language": {"min_letters": 3, "cyrillic_share_ru": 0.5},
    "tone": {
        "negative_below": -0.15,
        "positive_above": 0.3,
        "marker_penalty": {
            "passive_aggressive": 1.5, "ultimatum": 2.0, "billing_complaint": 1.5,
            "price_complaint": 1.2, "refund_request": 1.0, "data_export": 0.8, "competitor": 0.5,
        },
        "vader_overrides": {
            "please": 0, "kindly": 0, "free": 0, "promised": 0, "promise": 0, "approved": 0.8, "thanks": 0.8,
            "thank": 0.8, "like": 0.8, "recommend": 0.6, "ok": 0.4, "respect": 0, "hope": 0.6,
        },
        "lexicon_extra": {},
    },
    "competitors": {
        "Битрикс24": [r"битрикс\s*-?\s*24", r"bitrix\s*-?\s*24", r"битрикс(?:е|а|ом|у)?"],
        "amoCRM": [r"amo\s*-?\s*crm", r"амо\s*-?\s*(?:срм|црм|crm)", r"амоцрм", r"kommo"],
        "Мегаплан": [r"мегаплан\w*", r"megaplan"],
        "RetailCRM": [r"retail\s*-?\s*crm", r"р[еи]т[еэ]йл\s*-?\s*(?:срм|црм|crm)"],
        "HubSpot": [r"hub\s*spot", r"хабспот\w*"],
        "Salesforce": [r"salesforce", r"сейлсфорс\w*", r"салесфорс\w*"],
    },
    "competitor_generic": [],
    "competitor_generic_name": "другой поставщик",
    "negation_window_chars": 22,
    "negatable": ["data_export", "price_complaint", "billing_complaint", "refund_request"],
    "markers": None,        # None = DEFAULT_MARKERS
    "markers_extra": {},
    "register": None,       # None = DEFAULT_REGISTER
    "trends": {
        "window_days": 30, "missing_direction_is_inbound": True, "min_messages_for_tone": 1,
        "formal_share": 0.5, "silence_days": [30, 90], "min_prior_contacts": 2, "evidence_per_marker": 3,
    },
    "tickets": {
        "window_days": 90, "recent_days": 30, "reopen_rate_flag": 0.30, "min_tickets_for_rate": 3,
        "billing_categories": ["биллинг", "billing", "цены", "тариф", "оплата", "счета", "price", "invoice"],
    },
    "n_jobs": "auto",
    "parallel_min_rows": 50000,
    "vader_cache_size": 200000,
}


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "competitors":
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def load_config(config: dict | str | Path | None = None) -> dict:
    """Return the full signals config: defaults <- config/signals.yaml <- ``config``.

    ``config`` may be a dict (merged over the YAML file when it exists) or a path to a YAML file.
    A dict with ``{"_no_file": True}`` skips the repository file (tests).
    """
    if isinstance(config, (str, Path)):
        with open(config, encoding="utf-8") as fh:
            out = _merge(DEFAULTS, yaml.safe_load(fh) or {})
        out["_loaded"] = True
        return out
    if isinstance(config, dict) and config.get("_loaded"):
        return config
    cfg = dict(config or {})
    base = DEFAULTS
    if not cfg.pop("_no_file", False) and DEFAULT_CONFIG_PATH.exists():
        with open(DEFAULT_CONFIG_PATH, encoding="utf-8") as fh:
            base = _merge(DEFAULTS, yaml.safe_load(fh) or {})
    out = _merge(base, cfg)
    out["_loaded"] = True
    return out
