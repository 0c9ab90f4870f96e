"roles"
