"""The topic salience model trained by bench/train_salience.py from the shared labelled sets. Generated:
re-run `python bench/train_salience.py ... --write` rather than editing it."""

MODEL = {
    "weights": {'title': 1.3704, 'lead': 1.1186, 'sentences': 1.1182, 'specific': 0.0533, 'share': 0.4859, 'support': 0.1926, 'passing': -0.9703, 'terms': -0.0189, 'late': -0.1865, 'subject': -0.2314, 'field': 0.4016, 'field_title': 0.5115},
    "biases": {'layoffs': 0.3064, 'llm': -1.2704},
    "default_bias": -0.482,
}
