{#-
    On Spark, register the generator's Parquet files as the raw sources:
    raw.users and raw.events, from $INTENT_RAW_PARQUET_DIR (default data/raw, relative to
    the project) as written by `python main.py --mode generate --format parquet`.
    Runs as an on-run-start hook; on every other engine it does nothing (on DuckDB the
    generator and the CSV loader write raw.* into the warehouse itself).
    The tables are external: re-registering them never touches the files.
-#}
{% macro create_spark_raw_tables() %}
    {%- if not execute or target.type != 'spark' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set folder = env_var('INTENT_RAW_PARQUET_DIR', 'data/raw') | trim -%}
    {%- if not folder.startswith('/') -%}
        {%- set folder = (invocation_args_dict.get('project_dir') or '.') ~ '/' ~ folder -%}
    {%- endif -%}
    {%- do run_query('create schema if not exists raw') -%}
    {%- for table in ['users', 'events'] -%}
        {%- do run_query('drop table if exists raw.' ~ table) -%}
        {%- do run_query(
            'create table raw.' ~ table ~ " using parquet location '" ~ folder ~ '/' ~ table ~ ".parquet'"
        ) -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}
