"""Unit and meaning of every CSV column, by column name; the types live in `fields`.

A key `category:column` describes that category's column; a bare `column` describes the
column wherever no category-specific entry exists. Facts from the Oura API v2 reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from oura_stats.api.fields import fields

SCORE = ("score 1-100", "")
CONTRIBUTOR = ("score 1-100", "contribution of {what} to the score (higher is better)")

# column -> (unit, meaning)
GENERIC: dict[str, tuple[str, str]] = {
    "id": ("", "Oura's identifier of the document"),
    "day": ("date", "the wearer's local day the document belongs to"),
    "timestamp": ("ISO 8601", "when the document's day starts (midnight, with an offset)"),
    "score": ("score 1-100", "the day's score"),
    "contributors": ("", "placeholder column of the contributors object (empty when null)"),
    "start_day": ("date", "local day the period starts"),
    "end_day": ("date", "local day the period ends"),
    "start_time": ("ISO 8601", "when the period starts, with the wearer's local offset"),
    "end_time": ("ISO 8601", "when the period ends, with the wearer's local offset"),
    "start_datetime": ("ISO 8601", "start, with the wearer's local offset"),
    "end_datetime": ("ISO 8601", "end, with the wearer's local offset"),
    "type": ("", "kind of the document"),
    "source": ("", "what recorded it"),
    "level": ("", "level"),
}

# category:column -> (unit, meaning)
SPECIFIC: dict[str, tuple[str, str]] = {
    # daily_activity
    "daily_activity:active_calories": ("kcal", "energy burned by activity"),
    "daily_activity:average_met_minutes": ("MET", "average metabolic equivalent over the day"),
    "daily_activity:class_5_min": (
        "codes",
        "activity class per 5 minutes from 04:00: 0 non-wear, 1 rest, 2 inactive, 3 low, "
        "4 medium, 5 high (digit string: read as text)",
    ),
    "daily_activity:equivalent_walking_distance": ("m", "activity expressed as walking distance"),
    "daily_activity:high_activity_met_minutes": ("MET min", "MET minutes of high activity"),
    "daily_activity:high_activity_time": ("s", "time in high activity"),
    "daily_activity:inactivity_alerts": ("count", "inactivity alerts received"),
    "daily_activity:low_activity_met_minutes": ("MET min", "MET minutes of low activity"),
    "daily_activity:low_activity_time": ("s", "time in low activity"),
    "daily_activity:medium_activity_met_minutes": ("MET min", "MET minutes of medium activity"),
    "daily_activity:medium_activity_time": ("s", "time in medium activity"),
    "daily_activity:met": ("", "placeholder column of the MET series (empty when null)"),
    "daily_activity:met.interval": ("s", "seconds between MET samples"),
    "daily_activity:met.items": ("MET", "MET per interval, as a JSON list"),
    "daily_activity:met.timestamp": ("ISO 8601", "time of the first MET sample"),
    "daily_activity:meters_to_target": ("m", "distance left to the day's activity target"),
    "daily_activity:non_wear_time": ("s", "time the ring was not worn"),
    "daily_activity:resting_time": ("s", "time resting"),
    "daily_activity:score": ("score 1-100", "activity score"),
    "daily_activity:sedentary_met_minutes": ("MET min", "MET minutes while sedentary"),
    "daily_activity:sedentary_time": ("s", "time sedentary"),
    "daily_activity:steps": ("steps", "steps taken"),
    "daily_activity:target_calories": ("kcal", "the day's active-calorie target"),
    "daily_activity:target_meters": ("m", "the day's activity target as walking distance"),
    "daily_activity:timestamp": ("ISO 8601", "start of the activity day (04:00 local)"),
    "daily_activity:total_calories": ("kcal", "total energy burned, basal included"),
    # daily_cardiovascular_age
    "daily_cardiovascular_age:pulse_wave_velocity": ("m/s", "pulse wave velocity"),
    "daily_cardiovascular_age:vascular_age": ("years", "estimated vascular (cardiovascular) age"),
    # daily_readiness (and sleep's embedded readiness)
    "daily_readiness:score": ("score 1-100", "readiness score"),
    "daily_readiness:temperature_deviation": ("°C", "skin temperature deviation from baseline"),
    "daily_readiness:temperature_trend_deviation": (
        "°C",
        "skin temperature trend deviation from baseline",
    ),
    # daily_resilience
    "daily_resilience:contributors.sleep_recovery": ("score 0-100", "recovery during sleep"),
    "daily_resilience:contributors.daytime_recovery": ("score 0-100", "recovery in the daytime"),
    "daily_resilience:contributors.stress": ("score 0-100", "stress load"),
    "daily_resilience:level": (
        "",
        "resilience level: limited, adequate, solid, strong or exceptional",
    ),
    # daily_sleep
    "daily_sleep:score": ("score 1-100", "sleep score"),
    # daily_spo2
    "daily_spo2:breathing_disturbance_index": ("index", "breathing disturbances per hour"),
    "daily_spo2:spo2_percentage": ("", "placeholder column of the SpO2 object (empty when null)"),
    "daily_spo2:spo2_percentage.average": ("%", "average blood oxygen saturation during sleep"),
    # daily_stress
    "daily_stress:day_summary": ("", "the day's stress summary: restored, normal or stressful"),
    "daily_stress:recovery_high": ("s", "time in high recovery"),
    "daily_stress:stress_high": ("s", "time in high stress"),
    # enhanced_tag
    "enhanced_tag:tag_type_code": ("", "kind of tag (e.g. tag_generic_caffeine, custom)"),
    "enhanced_tag:comment": ("", "the wearer's note"),
    "enhanced_tag:custom_name": ("", "name of a custom tag"),
    # heartrate
    "heartrate:timestamp": ("ISO 8601 UTC", "when the sample was taken (UTC)"),
    "heartrate:timestamp_unix": ("ms", "the same instant in milliseconds since 1970 (UTC)"),
    "heartrate:bpm": ("bpm", "heart rate"),
    "heartrate:source": ("", "what was measured: awake, rest, sleep, session, live, workout"),
    # personal_info
    "personal_info:age": ("years", "the wearer's age"),
    "personal_info:weight": ("kg", "the wearer's weight"),
    "personal_info:height": ("m", "the wearer's height"),
    "personal_info:biological_sex": ("", "biological sex as entered in the app"),
    "personal_info:email": ("", "the account's e-mail address"),
    # rest_mode_period
    "rest_mode_period:episodes": ("JSON", "the period's episodes (tags and times), a JSON list"),
    # ring_battery_level
    "ring_battery_level:timestamp": ("ISO 8601 UTC", "when the level was read (UTC)"),
    "ring_battery_level:timestamp_unix": ("ms", "the same instant in milliseconds since 1970"),
    "ring_battery_level:charging": ("", "true while charging"),
    "ring_battery_level:in_charger": ("", "true while in the charger"),
    "ring_battery_level:level": ("%", "battery charge"),
    # ring_configuration
    "ring_configuration:color": ("", "ring colour"),
    "ring_configuration:design": ("", "ring design (heritage, horizon, ...)"),
    "ring_configuration:firmware_version": ("", "firmware version"),
    "ring_configuration:hardware_type": ("", "ring generation (gen1 .. gen4)"),
    "ring_configuration:set_up_at": ("ISO 8601", "when the ring was set up (null on old rings)"),
    "ring_configuration:size": ("US size", "ring size"),
    # session
    "session:heart_rate": ("", "placeholder column of the heart-rate series (empty when null)"),
    "session:heart_rate.interval": ("s", "seconds between heart-rate samples"),
    "session:heart_rate.items": ("bpm", "heart rate per interval, as a JSON list"),
    "session:heart_rate.timestamp": ("ISO 8601", "time of the first heart-rate sample"),
    "session:heart_rate_variability": ("", "placeholder column of the HRV series"),
    "session:heart_rate_variability.interval": ("s", "seconds between HRV samples"),
    "session:heart_rate_variability.items": ("ms", "HRV (RMSSD) per interval, a JSON list"),
    "session:heart_rate_variability.timestamp": ("ISO 8601", "time of the first HRV sample"),
    "session:mood": ("", "mood the wearer reported: bad, worse, same, good, great"),
    "session:motion_count": ("", "placeholder column of the motion series"),
    "session:motion_count.interval": ("s", "seconds between motion samples"),
    "session:motion_count.items": ("count", "movements per interval, as a JSON list"),
    "session:motion_count.timestamp": ("ISO 8601", "time of the first motion sample"),
    "session:type": ("", "breathing, meditation, nap, relaxation, rest or body_status"),
    # sleep
    "sleep:average_breath": ("breaths/min", "average breathing rate"),
    "sleep:average_heart_rate": ("bpm", "average heart rate"),
    "sleep:average_hrv": ("ms", "average heart rate variability (RMSSD)"),
    "sleep:awake_time": ("s", "time awake in bed"),
    "sleep:bedtime_end": ("ISO 8601", "end of the period in bed, wearer's local offset"),
    "sleep:bedtime_start": ("ISO 8601", "start of the period in bed, wearer's local offset"),
    "sleep:deep_sleep_duration": ("s", "time in deep sleep"),
    "sleep:efficiency": ("%", "share of time in bed spent asleep"),
    "sleep:heart_rate": ("", "placeholder column of the heart-rate series (empty when null)"),
    "sleep:heart_rate.interval": ("s", "seconds between heart-rate samples"),
    "sleep:heart_rate.items": ("bpm", "heart rate per interval, as a JSON list"),
    "sleep:heart_rate.timestamp": ("ISO 8601", "time of the first heart-rate sample"),
    "sleep:hrv": ("", "placeholder column of the HRV series (empty when null)"),
    "sleep:hrv.interval": ("s", "seconds between HRV samples"),
    "sleep:hrv.items": ("ms", "HRV (RMSSD) per interval, as a JSON list"),
    "sleep:hrv.timestamp": ("ISO 8601", "time of the first HRV sample"),
    "sleep:latency": ("s", "time to fall asleep"),
    "sleep:light_sleep_duration": ("s", "time in light sleep"),
    "sleep:low_battery_alert": ("", "true when a low battery cut the measurement short"),
    "sleep:lowest_heart_rate": ("bpm", "lowest heart rate"),
    "sleep:movement_30_sec": (
        "codes",
        "movement per 30 s: 1 none, 2 restless, 3 tossing, 4 active (digit string)",
    ),
    "sleep:period": ("", "number of the sleep period within the day"),
    "sleep:readiness": ("", "placeholder column of the embedded readiness (empty when null)"),
    "sleep:readiness.score": ("score 1-100", "readiness score computed from this sleep"),
    "sleep:readiness.temperature_deviation": ("°C", "skin temperature deviation from baseline"),
    "sleep:readiness.temperature_trend_deviation": ("°C", "skin temperature trend deviation"),
    "sleep:readiness.contributors": ("", "placeholder column of the readiness contributors"),
    "sleep:readiness_score_delta": ("points", "change this sleep made to the readiness score"),
    "sleep:rem_sleep_duration": ("s", "time in REM sleep"),
    "sleep:restless_periods": ("count", "restless periods"),
    "sleep:sleep_algorithm_version": ("", "version of Oura's sleep staging (v1, v2)"),
    "sleep:sleep_analysis_reason": ("", "why the sleep was (re)analysed"),
    "sleep:sleep_phase_30_sec": (
        "codes",
        "sleep stage per 30 s: 1 deep, 2 light, 3 REM, 4 awake (digit string)",
    ),
    "sleep:sleep_phase_5_min": (
        "codes",
        "sleep stage per 5 min: 1 deep, 2 light, 3 REM, 4 awake (digit string)",
    ),
    "sleep:app_sleep_phase_5_min": ("codes", "sleep stage per 5 min as the app shows it"),
    "sleep:sleep_score_delta": ("points", "change this sleep made to the sleep score"),
    "sleep:time_in_bed": ("s", "time in bed"),
    "sleep:total_sleep_duration": ("s", "time asleep"),
    "sleep:type": ("", "long_sleep, sleep, late_nap, rest or deleted"),
    "sleep:ring_id": ("", "identifier of the ring that recorded the sleep"),
    # sleep_time
    "sleep_time:optimal_bedtime": ("", "placeholder column of the bedtime window"),
    "sleep_time:optimal_bedtime.day_tz": ("s", "the wearer's UTC offset for the day"),
    "sleep_time:optimal_bedtime.end_offset": ("s", "end of the ideal bedtime, from midnight"),
    "sleep_time:optimal_bedtime.start_offset": (
        "s",
        "start of the ideal bedtime, from midnight (negative: the evening before)",
    ),
    "sleep_time:recommendation": ("", "advice: improve_efficiency, earlier_bedtime, ..."),
    "sleep_time:status": ("", "whether a recommendation is available yet"),
    # tag (deprecated)
    "tag:text": ("", "the wearer's note"),
    "tag:timestamp": ("ISO 8601", "when the tag was made, wearer's local offset"),
    "tag:tags": ("JSON", "tag names, a JSON list"),
    # vO2_max
    "vO2_max:timestamp": ("ISO 8601", "when it was measured"),
    "vO2_max:vo2_max": ("ml/kg/min", "estimated maximal oxygen uptake"),
    # workout
    "workout:activity": ("", "kind of workout (walking, cycling, ...)"),
    "workout:calories": ("kcal", "energy burned"),
    "workout:distance": ("m", "distance covered"),
    "workout:intensity": ("", "easy, moderate or hard"),
    "workout:label": ("", "the wearer's label"),
    "workout:source": ("", "manual, autodetected, confirmed or workout_heart_rate"),
}

_CONTRIBUTORS = {
    "activity_balance": "activity over the last days",
    "body_temperature": "body temperature",
    "hrv_balance": "heart rate variability against the long-term average",
    "previous_day_activity": "the previous day's activity",
    "previous_night": "the previous night's sleep",
    "recovery_index": "how early the heart rate settled during sleep",
    "resting_heart_rate": "resting heart rate",
    "sleep_balance": "sleep over the last two weeks",
    "sleep_regularity": "regular sleep times",
    "meet_daily_targets": "meeting daily activity targets",
    "move_every_hour": "avoiding long inactivity",
    "recovery_time": "recovery time",
    "stay_active": "staying active",
    "training_frequency": "training frequency",
    "training_volume": "training volume",
    "deep_sleep": "deep sleep",
    "efficiency": "sleep efficiency",
    "latency": "time to fall asleep",
    "rem_sleep": "REM sleep",
    "restfulness": "restfulness",
    "timing": "sleep timing",
    "total_sleep": "total sleep",
}


def meaning(category: str, column: str) -> tuple[str, str] | None:
    """(unit, meaning) of a column, or None when the dictionary does not know it."""
    found = SPECIFIC.get(f"{category}:{column}")
    if found is not None:
        return found
    parent, _, leaf = column.rpartition(".")
    if parent.endswith("contributors") and leaf in _CONTRIBUTORS:
        return (SCORE[0], CONTRIBUTOR[1].format(what=_CONTRIBUTORS[leaf]))
    return GENERIC.get(column)


@dataclass(frozen=True)
class Column:
    """One line of the data dictionary."""

    name: str
    type: str
    unit: str
    meaning: str


def columns(category: str) -> list[Column]:
    """The category's columns in the API's order, with type (from `fields`), unit, meaning."""
    found = []
    for name, described in fields(category).items():
        unit, text = meaning(category, name) or ("", "")
        found.append(Column(name, described.type, unit, text))
    return found
