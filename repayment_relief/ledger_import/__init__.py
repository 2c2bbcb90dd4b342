"""Import of the bank's loan ledger (贷款台账导入): one row per contract, all-or-nothing, any size.

- rows.py: the template (合同号, 借款人身份证号, 县区代码, 合同金额, 学年, 台账日期, 利息结算至, 未还本金, 已计罚息,
  利率, 逾期项目, 还款计划) and one row → the values staged, parsed by `ledger.ledger_parse` (the same checks
  as the JSON and the amount command);
- service.py: the file checked before parsing (CSV: size, no control bytes, UTF-8 or GB18030, header;
  .xlsx: the one import path's checks, then every sheet of the same header), rows read in chunks
  (LEDGER_IMPORT_CHUNK_ROWS) into the staging table, the file-wide checks in SQL (a contract twice, a known
  contract whose borrower differs, a new contract without registered borrower, county, amount or school
  year, a second contract for a borrower's school year), then one transaction — or a refused batch with
  the first errors (loanportal.imports.STORED_ERRORS_LIMIT) and their count;
- staging.py: the per-connection TEMP staging table, the checks and the write in SQL.

A newer snapshot replaces the older one as the contract's latest; an older ledger arriving late is kept as
history only (services.ledger_snapshot_record, the same rule).
"""

from .rows import (
    HEADERS,
    IMPORT_TEMPLATE,
    _items,
    ledger_csv,
    ledger_row_parse,
    ledger_row_stage,
    ledger_template_workbook,
    ledger_workbook,
)
from .service import ROLES, LedgerImportRejected, ledger_file_precheck, ledger_import, ledger_import_job

__all__ = [
    "HEADERS",
    "IMPORT_TEMPLATE",
    "ROLES",
    "LedgerImportRejected",
    "_items",
    "ledger_csv",
    "ledger_file_precheck",
    "ledger_import",
    "ledger_import_job",
    "ledger_row_parse",
    "ledger_row_stage",
    "ledger_template_workbook",
    "ledger_workbook",
]
