-- One row per health quadrant of the relationship x impact map: its label, the play a
-- CSM runs for an account in it (seed health_quadrant_plays) and the dimension thresholds
-- that define it (seed health_dimensions).
with

plays as (
    select * from {{ ref('health_quadrant_plays') }}
),

thresholds as (
    {{ health_dimension_thresholds() | indent(4) }}
),

final as (
    select
        plays.health_quadrant,
        plays.quadrant_label,
        plays.recommended_play,
        plays.play_description,
        thresholds.relationship_threshold,
        thresholds.impact_threshold
    from plays
    cross join thresholds
)

select * from final
