{#- The seeds whose content defines health, with their columns in a fixed order. The
    definition_version is a hash over exactly these rows (see
    int_health_definition_version; customer_health/definitions.py computes the same hash
    from the CSV files without a warehouse, for the Dagster sensor). -#}
{% macro health_definition_seeds() -%}
    {{ return([
        {'name': 'health_profiles', 'columns': ['profile_id', 'profile_name', 'is_default', 'good_threshold', 'poor_threshold', 'min_coverage']},
        {'name': 'health_profile_rules', 'columns': ['priority', 'profile_id', 'customer_tier', 'lifecycle_stage', 'support_package', 'region']},
        {'name': 'health_pillar_weights', 'columns': ['profile_id', 'pillar', 'weight']},
        {'name': 'health_profile_indicators', 'columns': ['profile_id', 'indicator_id', 'pillar', 'weight', 'scoring_method', 'poor_value', 'good_value', 'missing_policy']},
        {'name': 'product_features', 'columns': ['product_id', 'feature', 'is_key_feature']},
        {'name': 'hierarchy_band_rules', 'columns': ['rule_priority', 'health_band', 'share_name', 'comparison', 'threshold']},
    ]) }}
{%- endmacro %}

{#- Text of one seed row: fields joined by '|', nulls as ''. Decimal seed columns are
    typed decimal(18,4), so their text is stable across engines ('70.0000'). -#}
{% macro definition_row_text(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
