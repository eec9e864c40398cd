-- An accepted overlap: agents that may act on a rule's resources after its owner, in order.
ALTER TABLE rules ADD COLUMN sequence TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(sequence));
