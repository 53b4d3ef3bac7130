"""What the report draws: each chart's title, unit, series (names from `sources`) and
colours, grouped in sections. Adding a chart is one entry here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    key: str  # a series name in ReportData.series
    label: str
    color: str


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    unit: str
    lines: tuple[Line, ...]
    digits: int = 1  # decimals shown in the table and on hover
    band: tuple[str, str] | None = None  # (low, high) series drawn as a shaded range
    averaged: tuple[str, ...] | None = None  # series with a 7-day average (default: all)
    scale: tuple[float, float] | None = None  # a fixed axis; values outside are left out
    kind: str = "lines"  # or "weekly" (bars of weekly totals) or "levels" (named steps)
    levels: tuple[str, ...] = ()  # for "levels": the names of 1, 2, 3, ...

    def has_average(self, key: str) -> bool:
        return self.averaged is None or key in self.averaged


@dataclass(frozen=True)
class Section:
    title: str
    charts: tuple[Chart, ...]


BLUE, PURPLE, TEAL, ORANGE, RED, GREY, GREEN = (
    "#2563eb",
    "#7c3aed",
    "#0d9488",
    "#ea580c",
    "#dc2626",
    "#6b7280",
    "#16a34a",
)

SCORE = (0.0, 100.0)
RESILIENCE = ("limited", "adequate", "solid", "strong", "exceptional")

SECTIONS = (
    Section(
        "Sleep",
        (
            Chart(
                "sleep-duration",
                "Main sleep: total and stages per night",
                "hours",
                (
                    Line("total_sleep_duration", "Total", BLUE),
                    Line("light_sleep_duration", "Light", TEAL),
                    Line("deep_sleep_duration", "Deep", PURPLE),
                    Line("rem_sleep_duration", "REM", ORANGE),
                    Line("awake_time", "Awake", GREY),
                ),
                digits=2,
            ),
            Chart(
                "sleep-quality",
                "Sleep score and efficiency",
                "score 0\u2013100; efficiency in %",
                (Line("sleep_score", "Score", BLUE), Line("efficiency", "Efficiency", TEAL)),
                digits=0,
                scale=SCORE,
            ),
            Chart(
                "naps",
                "Naps and rests per week, apart from the main sleep",
                "naps per week",
                (Line("nap_count", "Naps", ORANGE),),
                digits=1,
                kind="weekly",
            ),
            Chart(
                "nap-minutes",
                "Time napping per week",
                "minutes asleep per week",
                (Line("nap_minutes", "Minutes", ORANGE),),
                digits=0,
                kind="weekly",
            ),
        ),
    ),
    Section(
        "Readiness",
        (
            Chart(
                "readiness",
                "Readiness score and HRV balance",
                "score 0\u2013100",
                (
                    Line("readiness_score", "Readiness", GREEN),
                    Line("hrv_balance", "HRV balance", PURPLE),
                ),
                digits=0,
                scale=SCORE,
            ),
            Chart(
                "temperature",
                "Body temperature deviation",
                "°C from your baseline",
                (Line("temperature_deviation", "Deviation", RED),),
                digits=2,
            ),
        ),
    ),
    Section(
        "Heart",
        (
            Chart(
                "hrv",
                "Heart rate variability during the main sleep",
                "ms (average)",
                (Line("average_hrv", "HRV", PURPLE),),
                digits=0,
            ),
            Chart(
                "lowest-hr",
                "Lowest heart rate during the main sleep",
                "beats per minute",
                (Line("lowest_heart_rate", "Lowest", RED),),
                digits=0,
            ),
            Chart(
                "heart-rate",
                "Heart rate: daily minimum, average and maximum",
                "beats per minute",
                (
                    Line("hr_min", "Minimum", BLUE),
                    Line("hr_avg", "Average", RED),
                    Line("hr_max", "Maximum", ORANGE),
                ),
                band=("hr_min", "hr_max"),
                averaged=("hr_avg",),
            ),
        ),
    ),
    Section(
        "Activity",
        (
            Chart("steps", "Steps", "steps per day", (Line("steps", "Steps", GREEN),), digits=0),
            Chart(
                "active-calories",
                "Active calories",
                "kcal per day",
                (Line("active_calories", "Active calories", ORANGE),),
                digits=0,
            ),
            Chart(
                "activity-score",
                "Activity score",
                "score 0\u2013100",
                (Line("activity_score", "Score", GREEN),),
                digits=0,
                scale=SCORE,
            ),
        ),
    ),
    Section(
        "Breathing",
        (
            Chart(
                "spo2",
                "Blood oxygen (SpO2) during sleep",
                "% (nightly average)",
                (Line("spo2", "SpO2", BLUE),),
                digits=2,
            ),
            Chart(
                "breathing-disturbance",
                "Breathing disturbance index",
                "disturbances per hour",
                (Line("breathing_disturbance", "Index", PURPLE),),
                digits=0,
            ),
        ),
    ),
    Section(
        "Stress and resilience",
        (
            Chart(
                "stress",
                "Time in high stress and in high recovery",
                "minutes per day",
                (
                    Line("stress_high", "High stress", RED),
                    Line("recovery_high", "High recovery", GREEN),
                ),
                digits=0,
            ),
            Chart(
                "resilience",
                "Resilience level",
                "Oura's five named levels",
                (Line("resilience", "Level", TEAL),),
                digits=0,
                kind="levels",
                levels=RESILIENCE,
            ),
        ),
    ),
)
