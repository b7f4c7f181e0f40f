"""Reading from the axis: faust-streaming workers and the subscriber SDK."""
