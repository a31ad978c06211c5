{#- Data-filling standard in dbt: record quarantine, completeness and coverage.

    Lists and weights are editable seeds (dbt/seeds/dq_*.csv):
      dq_reason_codes          reason_code → is_blocking (quarantine or flag only), descriptions
      dq_completeness_weights  per entity (contact / customer) and field: filled_weight + valid_weight
      dq_manager_aliases       manager name as landed → one canonical name (optional)
    Scalar thresholds (dq_birth_date_min, dq_max_age_years) are dbt vars from config/analytics.yaml
    like the analytics ones. Use `{{ qcfg('name') }}`. -#}

{% macro qcfg(name) -%}
    {{ return(cfg(name)) }}
{%- endmacro %}

{#- One row of weights for `entity` pivoted into columns <field>_fw / <field>_vw, from the seed. -#}
{% macro dq_weights_row(entity, fields) -%}
    select
    {%- for f in fields %}
        coalesce(max(case when field = '{{ f }}' then filled_weight end), 0) as {{ f }}_fw,
        coalesce(max(case when field = '{{ f }}' then valid_weight end), 0) as {{ f }}_vw{% if not loop.last %},{% endif %}
    {%- endfor %}
    from {{ ref('dq_completeness_weights') }}
    where entity = '{{ entity }}'
{%- endmacro %}

{#- Completeness 0–100: Σ(filled_weight·filled + valid_weight·valid) / Σ(filled_weight + valid_weight).
    Expects boolean columns <field>_filled and <field>_valid on `row` and the weights row `w`.
    A validated value earns both weights, a merely filled one only the filled weight. -#}
{% macro dq_completeness_score(fields, row='r', w='w') -%}
    round(100.0 * (
        {%- for f in fields %}
        {{ w }}.{{ f }}_fw * cast(coalesce({{ row }}.{{ f }}_filled, false) as integer)
        + {{ w }}.{{ f }}_vw * cast(coalesce({{ row }}.{{ f }}_valid, false) as integer){% if not loop.last %} +{% endif %}
        {%- endfor %}
    ) / nullif(
        {%- for f in fields %} {{ w }}.{{ f }}_fw + {{ w }}.{{ f }}_vw{% if not loop.last %} +{% endif %}{% endfor %}, 0), 1)
{%- endmacro %}

{#- The list of the reason codes whose condition is true, in the order given (non_null_list drops
    the NULLs). -#}
{% macro dq_reason_list(conditions) -%}
    {%- set items = [] -%}
    {%- for code, cond in conditions -%}
        {%- do items.append("case when " ~ cond ~ " then '" ~ code ~ "' end") -%}
    {%- endfor -%}
    {{ non_null_list(items, 'x') }}
{%- endmacro %}

{#- The per-group quality metrics of quality_by_source / quality_by_manager over quality_contact_records `r`. -#}
{% macro dq_group_metrics(r='r') -%}
    {%- set has = {} -%}
    {%- for code in ['name_placeholder', 'name_missing', 'phone_junk', 'phone_invalid', 'phone_missing', 'email_junk',
                     'email_invalid', 'email_role', 'email_missing', 'no_contact_channel', 'contact_only_in_comment',
                     'contact_id_duplicate'] -%}
        {%- do has.update({code: list_has(r ~ '.dq_reasons', "'" ~ code ~ "'")}) -%}
    {%- endfor %}
    count(*) as contacts,
    count(*) filter (where {{ r }}.is_quarantined) as quarantined,
    {%- for code, name in [('name_placeholder', 'placeholder_names'), ('name_missing', 'missing_names'),
                           ('phone_junk', 'junk_phones'), ('phone_invalid', 'invalid_phones'),
                           ('phone_missing', 'missing_phones'), ('email_junk', 'junk_emails'),
                           ('email_invalid', 'invalid_emails'), ('email_role', 'role_emails'),
                           ('email_missing', 'missing_emails'), ('no_contact_channel', 'no_contact_channel'),
                           ('contact_only_in_comment', 'contact_only_in_comment'),
                           ('contact_id_duplicate', 'duplicate_contact_ids')] %}
    count(*) filter (where {{ has[code] }}) as {{ name }},
    {%- endfor %}
    count(*) filter (where {{ r }}.phone_valid) as valid_phones,
    count(*) filter (where {{ r }}.email_valid) as valid_emails,
    {%- for cond, name in [(r ~ '.is_quarantined', 'quarantined_share'), (has['name_placeholder'], 'placeholder_name_share'),
                           (has['email_junk'], 'junk_email_share'), (has['no_contact_channel'], 'no_contact_channel_share'),
                           (r ~ '.phone_valid', 'valid_phone_share'), (r ~ '.email_valid', 'valid_email_share')] %}
    round(count(*) filter (where {{ cond }}) / count(*), 4) as {{ name }},
    {%- endfor %}
    round(avg({{ r }}.completeness_score), 1) as mean_completeness,
    round(median({{ r }}.completeness_score), 1) as median_completeness
{%- endmacro %}
