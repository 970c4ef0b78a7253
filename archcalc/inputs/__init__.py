"""What a user types, checked before anything is built: argument types (`arguments`), every
numeric limit (`limits`), budgets with units (`units`) and input resolutions (`resolution`);
one-line errors naming the option or argument."""
