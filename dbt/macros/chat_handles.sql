{#- Chat handles: headers of the CRM's extra columns that hold a messenger username or account id
    (compared like national_id_headers: lower-cased, letters and digits only). -#}
{% macro chat_handle_headers() -%}
    {{ return(['telegram', 'tg', 'телеграм', 'телеграмм', 'telegramusername', 'telegramid', 'username',
               'ник', 'никтелеграм', 'логинтелеграм', 'whatsapp', 'ватсап', 'messenger', 'мессенджер']) }}
{%- endmacro %}

{#- A username / account id as one matching key: lower case, without '@', 't.me/' links and spaces. -#}
{% macro chat_handle_key(col) -%}
    {%- set unlinked = replace_first("trim(" ~ col ~ ")", '^(https?://)?(t\\.me/|telegram\\.me/)', '', ignore_case=true) -%}
    nullif(lower({{ replace_all(unlinked, '[@\\s]', '') }}), '')
{%- endmacro %}
