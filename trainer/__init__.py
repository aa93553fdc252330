"""The albumsum trainer: fits and evaluates the SGM embedding on FER+-style data."""
