"""The captioning models of the assignment: `rnn.CaptioningRNN` (numpy) and `transformer.CaptioningTransformer`."""
