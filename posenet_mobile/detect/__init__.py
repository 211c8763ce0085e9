"""The person detector's pieces: what a frame's people become as training targets and how the
detector's outputs become people again (:mod:`.codec`)."""
