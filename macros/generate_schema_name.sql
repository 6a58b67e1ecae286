{#-
    Schemas are exactly raw, staging, intermediate and marts (no target prefix),
    so a person in a SQL client types `select * from marts.user_scores`.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{- (custom_schema_name or target.schema) | trim -}}
{%- endmacro %}
