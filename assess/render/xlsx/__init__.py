"""The Excel workbook (XlsxWriter), with its fast paths: bulk rows, parallel zip, forked writer."""
