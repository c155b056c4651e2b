"""Story intelligence for editors: the story graph, link and entity suggestions, link health
and story threads. Reads the models; never imports the reader or editorial parts."""
