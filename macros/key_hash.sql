{#-
    A number standing for a key, to group or join on where only repeats matter: DuckDB's
    64-bit hash, which it groups and joins faster than a string (at 100M events, finding
    the re-sent event ids: 20.8 -> 14.1 s). Two keys may share a hash, so a caller only
    narrows with it and then compares the keys themselves. Other engines: the key as is.
    `expression`: one expression, or on DuckDB several separated by commas (a composite key,
    hashed together; duplicate_keys uses it so).
-#}
{% macro key_hash(expression) -%}
    {{ return(adapter.dispatch('key_hash', 'intent_scoring')(expression)) }}
{%- endmacro %}

{% macro default__key_hash(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro duckdb__key_hash(expression) -%}
    hash({{ expression }})
{%- endmacro %}
