import journal from './meta/_journal.json';
import m0000 from './0000_initial.sql';
import m0001 from './0001_rounds.sql';
import m0002 from './0002_checkpoints.sql';
import m0003 from './0003_model_owner.sql';
import m0004 from './0004_round_push_loss.sql';
import m0005 from './0005_gradient_log.sql';
import m0006 from './0006_ledger_batches.sql';

  export default {
    journal,
    migrations: {
      m0000,
m0001,
m0002,
m0003,
m0004,
m0005,
m0006
    }
  }
  