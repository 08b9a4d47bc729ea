-- Failure means: indicator offences_total ("all reported offences") does not map every
-- offence code of seed offence_codes, so offences with the listed code(s) would silently be
-- left out of the total. Add the code to seeds/indicator_offence_codes.csv.
{{ config(meta={'dagster': {'ref': {'name': 'indicator_offence_codes'}}}) }}  -- shown as a check on indicator_offence_codes
select offence_code
from {{ ref('offence_codes') }}

except

select offence_code
from {{ ref('indicator_offence_codes') }}
where indicator_code = 'offences_total'
