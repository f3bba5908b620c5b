package lexical

// FittedOn returns the number of documents the model was fitted on: the
// measure of how much of a growing corpus its vocabulary and singular
// vectors have seen.
func (l *Model) FittedOn() int { return l.fit.docs }
