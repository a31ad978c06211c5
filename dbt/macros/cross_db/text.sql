{#- Text functions where DuckDB and Spark SQL differ (adapter dispatch: default__ is DuckDB, the
    reference; spark__ is Spark SQL). -#}

{#- An RE2 pattern (DuckDB) as a Spark SQL literal's Java regex: backslashes doubled (Spark
    unescapes literals) and the POSIX classes written as Java's (ASCII in both engines). -#}
{% macro java_regex(pattern) -%}
    {%- set out = namespace(text=pattern | replace("\\", "\\\\")) -%}
    {%- for posix, java in {'[:alnum:]': '\\\\p{Alnum}', '[:alpha:]': '\\\\p{Alpha}', '[:digit:]': '\\\\p{Digit}',
                            '[:space:]': '\\\\s', '[:punct:]': '\\\\p{Punct}'}.items() -%}
        {%- set out.text = out.text | replace(posix, java) -%}
    {%- endfor -%}
    {{- out.text -}}
{%- endmacro %}

{#- The whole text matches the pattern (DuckDB regexp_full_match; Spark rlike with anchors). -#}
{% macro full_match(col, pattern) -%}
    {{ return(adapter.dispatch('full_match', 'clientpulse')(col, pattern)) }}
{%- endmacro %}

{% macro default__full_match(col, pattern) -%}
    regexp_full_match({{ col }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__full_match(col, pattern) -%}
    ({{ col }} rlike '^(?:{{ java_regex(pattern) }})$')
{%- endmacro %}

{#- Replace every match (DuckDB needs the 'g' flag, Spark replaces all; 'i' is (?i) in Java). -#}
{% macro replace_all(col, pattern, replacement, ignore_case=false) -%}
    {{ return(adapter.dispatch('replace_all', 'clientpulse')(col, pattern, replacement, ignore_case)) }}
{%- endmacro %}

{% macro default__replace_all(col, pattern, replacement, ignore_case=false) -%}
    regexp_replace({{ col }}, '{{ pattern }}', '{{ replacement }}', '{{ "gi" if ignore_case else "g" }}')
{%- endmacro %}

{% macro spark__replace_all(col, pattern, replacement, ignore_case=false) -%}
    regexp_replace({{ col }}, '{{ "(?i)" if ignore_case else "" }}{{ java_regex(pattern) }}', '{{ replacement }}')
{%- endmacro %}

{#- Replace the first match only (DuckDB's default; Spark: the pattern is anchored by the caller). -#}
{% macro replace_first(col, pattern, replacement, ignore_case=false) -%}
    {{ return(adapter.dispatch('replace_first', 'clientpulse')(col, pattern, replacement, ignore_case)) }}
{%- endmacro %}

{% macro default__replace_first(col, pattern, replacement, ignore_case=false) -%}
    regexp_replace({{ col }}, '{{ pattern }}', '{{ replacement }}'{{ ", 'i'" if ignore_case else "" }})
{%- endmacro %}

{% macro spark__replace_first(col, pattern, replacement, ignore_case=false) -%}
    regexp_replace({{ col }}, '{{ "(?i)" if ignore_case else "" }}{{ java_regex(pattern) }}', '{{ replacement }}')
{%- endmacro %}

{#- Letters without their accents (é -> e, й -> и, ё -> е). DuckDB decomposes and drops the marks;
    Spark has no such function, so it translates the precomposed letters of Latin-1, Latin
    Extended-A/B, Cyrillic and Latin Extended Additional (the 549 letters that DuckDB's strip_accents
    changes in those blocks, checked one by one); letters of other scripts keep their marks there. -#}
{% macro strip_accents(col) -%}
    {{ return(adapter.dispatch('strip_accents', 'clientpulse')(col)) }}
{%- endmacro %}

{% macro default__strip_accents(col) -%}
    strip_accents({{ col }})
{%- endmacro %}

{% macro spark__strip_accents(col) -%}
    translate({{ col }}, 'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǢǣǦǧǨǩǪǫǬǭǮǯǰǴǵǸǹǺǻǼǽǾǿȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳЀЁЃЇЌЍЎЙйѐёѓїќѝўѶѷӁӂӐӑӒӓӖӗӚӛӜӝӞӟӢӣӤӥӦӧӪӫӬӭӮӯӰӱӲӳӴӵӸӹḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẛẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ',
        'AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZzOoUuAaIiOoUuUuUuUuUuAaAaÆæGgKkOoOoƷʒjGgNnAaÆæØøAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAaEeOoOoOoOoYyЕЕГІКИУИиеегікиуѴѵЖжАаАаЕеӘәЖжЗзИиИиОоӨөЭэУуУуУуЧчЫыAaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMmMmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZzZzhtwyſAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy')
{%- endmacro %}

{#- ``col`` without the leading characters in ``chars`` (Spark's two-argument ltrim takes the
    characters first, so it is written as trim(leading ... from ...) there). -#}
{% macro ltrim_chars(col, chars) -%}
    {{ return(adapter.dispatch('ltrim_chars', 'clientpulse')(col, chars)) }}
{%- endmacro %}

{% macro default__ltrim_chars(col, chars) -%}
    ltrim({{ col }}, '{{ chars }}')
{%- endmacro %}

{% macro spark__ltrim_chars(col, chars) -%}
    trim(leading '{{ chars }}' from {{ col }})
{%- endmacro %}
