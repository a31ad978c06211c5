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

{#- A DuckDB list of the reason codes whose condition is true: list_filter drops the NULLs. -#}
{% macro dq_reason_list(conditions) -%}
    list_filter([
        {%- for code, cond in conditions %}
        case when {{ cond }} then '{{ code }}' end{% if not loop.last %},{% endif %}
        {%- endfor %}
    ], lambda x: x is not null)
{%- endmacro %}

{#- The per-group quality metrics of quality_by_source / quality_by_manager over quality_contact_records `r`. -#}
{% macro dq_group_metrics(r='r') -%}
    count(*) as contacts,
    count(*) filter (where {{ r }}.is_quarantined) as quarantined,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'name_placeholder')) as placeholder_names,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'name_missing')) as missing_names,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'phone_junk')) as junk_phones,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'phone_invalid')) as invalid_phones,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'phone_missing')) as missing_phones,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'email_junk')) as junk_emails,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'email_invalid')) as invalid_emails,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'email_role')) as role_emails,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'email_missing')) as missing_emails,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'no_contact_channel')) as no_contact_channel,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'contact_only_in_comment')) as contact_only_in_comment,
    count(*) filter (where list_contains({{ r }}.dq_reasons, 'contact_id_duplicate')) as duplicate_contact_ids,
    count(*) filter (where {{ r }}.phone_valid) as valid_phones,
    count(*) filter (where {{ r }}.email_valid) as valid_emails,
    round(count(*) filter (where {{ r }}.is_quarantined) / count(*), 4) as quarantined_share,
    round(count(*) filter (where list_contains({{ r }}.dq_reasons, 'name_placeholder')) / count(*), 4) as placeholder_name_share,
    round(count(*) filter (where list_contains({{ r }}.dq_reasons, 'email_junk')) / count(*), 4) as junk_email_share,
    round(count(*) filter (where list_contains({{ r }}.dq_reasons, 'no_contact_channel')) / count(*), 4) as no_contact_channel_share,
    round(count(*) filter (where {{ r }}.phone_valid) / count(*), 4) as valid_phone_share,
    round(count(*) filter (where {{ r }}.email_valid) / count(*), 4) as valid_email_share,
    round(avg({{ r }}.completeness_score), 1) as mean_completeness,
    round(median({{ r }}.completeness_score), 1) as median_completeness
{%- endmacro %}
