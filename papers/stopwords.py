"""English words too common to say what a text is about: left out of sentence ranking and related-paper queries."""

STOPWORDS = frozenset(
    """a about above after again all also an and any are as at be because been before being between both
    but by can could did do does doing down during each few for from further had has have having here how
    however if in into is it its itself just more most no nor not of off on once only or other our out over
    own same should so some such than that the their them then there these they this those through thus to
    too under until up very was we were what when where which while who whom why will with would you your
    paper propose proposed show shows shown use used using based method methods approach results work""".split()
)
