"""The printed sheets: entries -> the HTML documents (documents, with typeset for entry text),
then HTML -> PDF with WeasyPrint in worker processes (render)."""
