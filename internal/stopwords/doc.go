// Package stopwords holds the one copy of scikit-learn's English stop-word
// list, shared by the lexical embedder (embed/lexical) and the keyword
// picker (cluster) so that both drop the same words.
package stopwords
