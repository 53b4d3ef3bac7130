"""The HTML report: the CSVs read into daily series (`daily`, `sources`), drawn as inline SVG
charts (`svg`, `charts`) on one self-contained page (`page`), written atomically (`build`)."""
