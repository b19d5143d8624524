"""UN/EDIFACT reading shared by the CODECO, COARRI and CUSRES adapters: envelope and charset
(``interchange``), segment tables (``grammar``), field readers (``fields``), adapter base (``adapter``)."""
