{#- Headers of a personal identity-document number (СНИЛС, passport, SSN, FEBRL's soc_sec_id),
    compared after lower-casing and dropping everything but letters and digits. A tax number (ИНН)
    is left out on purpose: contacts of one company often carry the company's. -#}
{% macro national_id_headers() -%}
    {{ return(var('identity_national_id_headers', [
        'nationalid', 'snils', 'снилс', 'страховойномер', 'passport', 'passportno', 'passportnumber',
        'паспорт', 'номерпаспорта', 'серияиномерпаспорта', 'ssn', 'socialsecuritynumber', 'socsecid',
        'socialsecurityid', 'idnumber', 'personalid', 'documentnumber', 'номердокумента'
    ])) }}
{%- endmacro %}

{#- The first `_extra` field whose header is one of `headers` (see national_id_headers). -#}
{% macro extra_field(extra_col, headers) -%}
    {{ json_first_key_value(extra_col, headers) }}
{%- endmacro %}
